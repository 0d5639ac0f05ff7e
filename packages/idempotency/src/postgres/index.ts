export { PostgresStore, type PostgresStoreOptions } from "./store.js";
export { statement, type SqlRunner, type SqlTransactor, type Statement } from "./sql.js";
export { pgSql, type PgPool, type PgQueryable } from "./pg.js";
export { schemaSql } from "./schema.js";

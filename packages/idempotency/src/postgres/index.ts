export { PostgresStore, type PostgresStoreOptions } from "./store";
export { statement, type SqlRunner, type SqlTransactor, type Statement } from "./sql";
export { pgSql, type PgPool, type PgQueryable } from "./pg";
export { schemaSql } from "./schema";

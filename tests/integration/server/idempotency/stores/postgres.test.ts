import { onPglite, onPostgres } from "@/tests/support/sql-stores";
import { describeStoreConformance } from "@/tests/support/store-conformance";

// One store, one SQL, two databases: the local PostgreSQL and the embedded PGlite.
describeStoreConformance("PostgresStore on PostgreSQL", onPostgres);
describeStoreConformance("PostgresStore on PGlite", onPglite);

/**
 * The server backend: PostgreSQL through a `pg` pool, for several deadbolt instances behind a
 * load balancer. Everything PostgreSQL-specific lives here (DESIGN.md §3.6): the pool, its
 * size and timeouts, int8 parsing and the optional schema. The queries are the shared ones of
 * `kysely/kysely-store.ts`.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { CustomTypesConfig } from "pg";
import { StorageUnavailable } from "../errors.js";
import type { Database } from "./kysely/database.js";
import { createKyselyStore } from "./kysely/kysely-store.js";
import { migrateToLatest } from "./kysely/migrate.js";
import type { Store } from "./store.js";

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
	/** A `postgres://user@host:port/database` URL (libpq style; `?sslmode=...` works). */
	readonly connectionString: string;
	/** Most connections the pool opens. Default 10. */
	readonly poolSize?: number;
	/**
	 * A schema to keep every deadbolt table in (created when missing, then set as the pool's
	 * `search_path`): lets tests or several deployments share one database. An unquoted SQL
	 * identifier: letters, digits and `_`, not starting with a digit, at most 63 bytes.
	 * Default: the connection's current schema (normally `public`).
	 */
	readonly schema?: string;
}

/** Default {@link PostgresStoreOptions.poolSize}. */
const DEFAULT_POOL_SIZE = 10;
/** How long to wait for a connection before failing, in milliseconds: a dead database fails fast. */
const CONNECTION_TIMEOUT_MS = 3000;
/** PostgreSQL's type OID of `int8`/`bigint` (also what `count(*)` returns). */
const INT8_OID = 20;
/** What {@link PostgresStoreOptions.schema} accepts. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Opens a pool, creates the schema when one is asked for, and migrates the database to the
 * latest schema. Kysely's migration lock makes concurrent openers (several instances starting
 * at once) safe.
 * @throws TypeError when `schema` is not a plain identifier or `poolSize` is not a positive integer.
 * @throws StorageUnavailable when the server cannot be reached (within 3 s per connection) or
 *   a migration fails (`cause` holds the error).
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
	const { connectionString, schema } = options;
	const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
	if (!Number.isInteger(poolSize) || poolSize < 1) throw new TypeError("poolSize must be a positive integer");
	if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
		throw new TypeError("schema must be a plain SQL identifier (letters, digits, _; at most 63)");
	}

	if (schema !== undefined) await createSchemaIfMissing(connectionString, schema);

	const pool = new pg.Pool({
		connectionString,
		max: poolSize,
		connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
		types: int8AsNumber,
		...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
	});
	// An idle client that loses its connection emits "error" on the pool; without a listener
	// that would crash the process. The next query gets a fresh client or fails as
	// StorageUnavailable, so there is nothing to do here.
	pool.on("error", ignoreIdleClientError);
	// The pool listens for errors of idle clients only: a client checked out (by every Kysely
	// query, and for a whole transaction) whose connection the server ends (a restart, a failover,
	// pg_terminate_backend) would emit an unhandled 'error' and end the process. With this listener
	// the client's queries fail instead (StorageUnavailable), and the pool drops it on release.
	pool.on("connect", (client) => client.on("error", ignoreIdleClientError));

	const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
	try {
		const migrationTableSchema = schema ?? (await currentSchema(db));
		const migration = await migrateToLatest(db, { migrationTableSchema });
		if (migration.error !== undefined) {
			throw new StorageUnavailable("The database could not be migrated to the latest schema.", {
				cause: migration.error,
				reason: "migration_failed",
			});
		}
	} catch (error) {
		await db.destroy().catch(ignoreIdleClientError);
		if (error instanceof StorageUnavailable) throw error;
		throw new StorageUnavailable(undefined, { cause: error, reason: "postgres_open_failed" });
	}
	return createKyselyStore(db, "postgres");
}

/**
 * Per-pool type parsers (the global `pg.types` stays untouched): int8 becomes a `number`. Every
 * int8 deadbolt stores is an epoch-ms instant, a TOTP step or a count, all far below 2^53; a
 * value that is not a safe integer fails the query instead of losing precision.
 */
const int8AsNumber: CustomTypesConfig = {
	getTypeParser: ((oid: number, format?: "text" | "binary"): unknown => {
		if (oid === INT8_OID && format !== "binary") return parseInt8;
		return pg.types.getTypeParser(oid, format);
	}) as typeof pg.types.getTypeParser,
};

/** Parses an int8 in text format to a number. @throws RangeError beyond ±(2^53 - 1). */
function parseInt8(text: string): number {
	const value = Number(text);
	if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} is not a safe integer`);
	return value;
}

/** Creates `schema` with a short-lived connection, tolerating a concurrent creator. */
async function createSchemaIfMissing(connectionString: string, schema: string): Promise<void> {
	const client = new pg.Client({ connectionString, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
	client.on("error", ignoreIdleClientError);
	try {
		await client.connect();
		try {
			await client.query(`create schema if not exists "${schema}"`);
		} catch (error) {
			// Two concurrent `create schema if not exists` can still collide on the catalog's
			// unique index; the schema then exists, which is all we need.
			const found = await client.query("select 1 from pg_namespace where nspname = $1", [schema]);
			if (found.rowCount === 0) throw error;
		}
	} catch (error) {
		throw new StorageUnavailable(undefined, { cause: error, reason: "postgres_open_failed" });
	} finally {
		await client.end().catch(ignoreIdleClientError);
	}
}

/** The schema new tables go to (first existing entry of `search_path`). */
async function currentSchema(db: Kysely<Database>): Promise<string> {
	const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
	const schema = result.rows[0]?.schema ?? null;
	if (schema === null) throw new Error("search_path names no existing schema: nowhere to create tables");
	return schema;
}

/** Swallows errors reported outside any query (see the pool's "error" and "connect" listeners). */
function ignoreIdleClientError(): void {}

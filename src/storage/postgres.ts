/**
 * The server backend: PostgreSQL through a `pg` pool, for several deadbolt instances behind a
 * load balancer. Everything PostgreSQL-specific lives here (DESIGN.md §3.6): the pool, its
 * size and timeouts, int8 parsing and the optional schema. The queries are the shared ones of
 * `kysely/kysely-store.ts` (one file per aggregate in `kysely/repositories/`).
 *
 * When the database fails, requests fail fast as `StorageUnavailable` (503) and the process
 * carries on, ready for the database to come back without a restart:
 * - a server that is down refuses connections at once; one that does not answer fails the
 *   connection attempt after {@link CONNECTION_TIMEOUT_MS} (also the longest wait for a free
 *   pooled connection);
 * - a query unanswered after {@link DEFAULT_QUERY_TIMEOUT_MS} fails, and its connection is
 *   closed rather than returned to the pool with a reply still owed (the next request would queue
 *   behind it);
 * - a connection that breaks, idle in the pool or held between two statements of a
 *   transaction, is dropped quietly; the statement that next uses it fails instead. (`pg`
 *   reports such a break as an "error" event, which would crash the process without a listener.)
 * The pool reconnects on demand, so nothing needs to notice that the server is back.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { CustomTypesConfig } from "pg";
import { StorageUnavailable } from "../errors.js";
import type { Database } from "./kysely/database.js";
import { createKyselyStore } from "./kysely/kysely-store.js";
import { appliedMigrationNames, migrateToLatest, type MigratedListener } from "./kysely/migrate.js";
import type { Store } from "./store.js";

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
	/** A `postgres://user@host:port/database` URL (libpq style; `?sslmode=...` works). */
	readonly connectionString: string;
	/** Most connections the pool opens. Default 10. */
	readonly poolSize?: number;
	/**
	 * Longest wait for the answer to one query, in milliseconds; then the query fails
	 * (`StorageUnavailable`) and its connection is closed. Default {@link DEFAULT_QUERY_TIMEOUT_MS}.
	 * Migrations (at opening) have no such limit: some may take long on large tables.
	 */
	readonly queryTimeoutMs?: number;
	/**
	 * A schema to keep every deadbolt table in (created when missing, then set as the pool's
	 * `search_path`): lets tests or several deployments share one database. An unquoted SQL
	 * identifier: letters, digits and `_`, not starting with a digit, at most 63 bytes.
	 * Default: the connection's current schema (normally `public`).
	 */
	readonly schema?: string;
	/** Told which migrations the opening applied (`deadbolt migrate`). */
	readonly onMigrated?: MigratedListener;
}

/** Default {@link PostgresStoreOptions.poolSize}. */
const DEFAULT_POOL_SIZE = 10;
/** Connections of the outbox's bookkeeping pool (one dispatcher per process claims and settles on them). */
const BOOKKEEPING_POOL_SIZE = 2;
/**
 * How long to wait for a connection before failing, in milliseconds: a new connection to a server
 * that does not answer, or a free one of a busy pool. A server that is down refuses at once.
 */
const CONNECTION_TIMEOUT_MS = 3000;
/**
 * Default {@link PostgresStoreOptions.queryTimeoutMs}: 5 seconds. Every query deadbolt makes while
 * serving is a lookup or a write of a few rows by key (milliseconds); an answer this late means
 * a server or network in trouble, and the client gets a 503 instead of a hanging request.
 */
const DEFAULT_QUERY_TIMEOUT_MS = 5000;
/** The name deadbolt's connections show in `pg_stat_activity`, unless the URL sets `application_name`. */
const APPLICATION_NAME = "deadbolt";
/** PostgreSQL's type OID of `int8`/`bigint` (also what `count(*)` returns). */
const INT8_OID = 20;
/** What {@link PostgresStoreOptions.schema} accepts. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Opens a pool, creates the schema when one is asked for, and migrates the database to the
 * latest schema (on a connection of its own, without the query timeout). Kysely's migration lock
 * makes concurrent openers (several instances starting at once) safe.
 * @throws TypeError when `schema` is not a plain identifier, or `poolSize` or `queryTimeoutMs`
 *   is not a positive integer.
 * @throws StorageUnavailable when the server cannot be reached (within 3 s per connection) or
 *   a migration fails (`cause` holds the error).
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
	const { connectionString, schema } = options;
	const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
	const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
	if (!Number.isInteger(poolSize) || poolSize < 1) throw new TypeError("poolSize must be a positive integer");
	if (!Number.isInteger(queryTimeoutMs) || queryTimeoutMs < 1) throw new TypeError("queryTimeoutMs must be a positive integer");
	if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
		throw new TypeError("schema must be a plain SQL identifier (letters, digits, _; at most 63)");
	}

	if (schema !== undefined) await createSchemaIfMissing(connectionString, schema);

	const applied = await migrate(openPool({ connectionString, schema, poolSize: 1 }), schema);
	options.onMigrated?.(applied);
	const db = openPool({ connectionString, schema, poolSize, queryTimeoutMs });
	// The outbox's bookkeeping (claims, settles) on connections of its own whose commits do not
	// wait for the WAL flush (see repositories/outbox.ts: a lost settle only means a message goes
	// again with its id).
	const bookkeeping = openPool({ connectionString, schema, poolSize: BOOKKEEPING_POOL_SIZE, queryTimeoutMs, asynchronousCommit: true });
	try {
		// One query now on each: it checks the pools' settings, and it starts Kysely's driver, whose
		// destroy() (the store's close()) does nothing before a first query, so that a closed
		// store's next query would silently open a new pool.
		await sql`select 1`.execute(db);
		await sql`select 1`.execute(bookkeeping);
	} catch (error) {
		await db.destroy().catch(ignoreConnectionError);
		await bookkeeping.destroy().catch(ignoreConnectionError);
		throw new StorageUnavailable(undefined, { cause: error, reason: "postgres_open_failed" });
	}
	return createKyselyStore(db, "postgres", { bookkeeping });
}

/**
 * Migrates the database with `db`, then destroys it.
 * @returns the names of the migrations applied, in order (empty when it was up to date)
 * @throws StorageUnavailable when the server cannot be reached or a migration fails
 */
async function migrate(db: Kysely<Database>, schema: string | undefined): Promise<string[]> {
	try {
		const migrationTableSchema = schema ?? (await currentSchema(db));
		const migration = await migrateToLatest(db, { migrationTableSchema });
		if (migration.error !== undefined) {
			throw new StorageUnavailable("The database could not be migrated to the latest schema.", {
				cause: migration.error,
				reason: "migration_failed",
			});
		}
		return appliedMigrationNames(migration);
	} catch (error) {
		if (error instanceof StorageUnavailable) throw error;
		throw new StorageUnavailable(undefined, { cause: error, reason: "postgres_open_failed" });
	} finally {
		await db.destroy().catch(ignoreConnectionError);
	}
}

/**
 * A Kysely instance over a new pool (connections open on demand). With `queryTimeoutMs`, a query
 * unanswered that long fails and its connection is closed ({@link TimeoutClosingClient}). With
 * `asynchronousCommit`, its sessions run with `synchronous_commit = off`.
 */
function openPool(options: { connectionString: string; schema: string | undefined; poolSize: number; queryTimeoutMs?: number; asynchronousCommit?: boolean }): Kysely<Database> {
	const settings = [...(options.schema === undefined ? [] : [`-c search_path=${options.schema}`]), ...(options.asynchronousCommit === true ? ["-c synchronous_commit=off"] : [])];
	const pool = new pg.Pool({
		connectionString: options.connectionString,
		max: options.poolSize,
		connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
		fallback_application_name: APPLICATION_NAME,
		types: int8AsNumber,
		...(options.queryTimeoutMs === undefined ? {} : { query_timeout: options.queryTimeoutMs, Client: TimeoutClosingClient }),
		...(settings.length === 0 ? {} : { options: settings.join(" ") }),
	});
	// An idle client that loses its connection emits "error" on the pool; without a listener
	// that would crash the process. The next query gets a fresh client or fails as
	// StorageUnavailable, so there is nothing to do here.
	pool.on("error", ignoreConnectionError);
	// The same for a client that is checked out but between two queries (inside a transaction,
	// say): it emits "error" on itself, where the pool's listener is not. Its next query fails
	// ("not queryable") and the pool discards it when it is released.
	pool.on("connect", (client) => client.on("error", ignoreConnectionError));
	return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * A `pg` client that closes its connection when a query times out (`query_timeout`). `pg` only
 * rejects the query and keeps the connection, which still owes that query's reply: the next
 * query on it would wait behind the lost one. Ending it makes the pool discard the client when
 * it is released (ending is marked at once), and the next request opens a new connection.
 */
class TimeoutClosingClient extends pg.Client {
	constructor(config?: string | pg.ClientConfig) {
		super(config);
		const query = this.query.bind(this) as (...args: unknown[]) => unknown;
		// Wrapped per instance: `query` has many overloads that a subclass method would have to repeat.
		(this as { query: unknown }).query = (...args: unknown[]): unknown => {
			const result = query(...args);
			if (result instanceof Promise) {
				// Registered before the caller's own handlers, so the client is marked as ending
				// before the caller (Kysely) releases it to the pool.
				result.catch((error: unknown) => {
					if (error instanceof Error && error.message === QUERY_READ_TIMEOUT_MESSAGE) void this.end().catch(ignoreConnectionError);
				});
			}
			return result;
		};
	}
}

/** The message of `pg`'s error for a query that outlived `query_timeout` (pg 8). */
const QUERY_READ_TIMEOUT_MESSAGE = "Query read timeout";

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
	const client = new pg.Client({ connectionString, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS, fallback_application_name: APPLICATION_NAME });
	client.on("error", ignoreConnectionError);
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
		await client.end().catch(ignoreConnectionError);
	}
}

/** The schema new tables go to (first existing entry of `search_path`). */
async function currentSchema(db: Kysely<Database>): Promise<string> {
	const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
	const schema = result.rows[0]?.schema ?? null;
	if (schema === null) throw new Error("search_path names no existing schema: nowhere to create tables");
	return schema;
}

/** Swallows errors reported outside any query (see the "error" listeners of {@link openPool}). */
function ignoreConnectionError(): void {}

/**
 * The one dialect helper every migration uses, so that one migration set serves both
 * databases: the column types that differ between SQLite and PostgreSQL, picked from the
 * adapter of the Kysely instance the migrator passes in.
 *
 * Shared by every migration, so it must keep returning what it returned when they were
 * released (a changed type here would change `0001-initial`'s schema too): add new members,
 * never change existing ones.
 */
import { PostgresAdapter, SqliteAdapter } from "kysely";
import type { Kysely } from "kysely";

/** The column types that differ between SQLite and PostgreSQL. */
export interface PortableColumnTypes {
	/** 64-bit integer for epoch-ms instants and TOTP steps. */
	readonly int64: "integer" | "bigint";
	/** Opaque bytes. */
	readonly bytes: "blob" | "bytea";
}

/**
 * Picks the dialect-specific column types from the adapter of `db`: epoch-ms instants are
 * `integer` in SQLite (which stores 64-bit integers anyway) and `bigint` in PostgreSQL; bytes
 * are `blob` / `bytea`.
 * @throws TypeError when `db` is neither SQLite nor PostgreSQL.
 */
export function portableColumnTypes(db: Kysely<any>): PortableColumnTypes {
	const adapter = db.getExecutor().adapter;
	if (adapter instanceof PostgresAdapter) return { int64: "bigint", bytes: "bytea" };
	if (adapter instanceof SqliteAdapter) return { int64: "integer", bytes: "blob" };
	throw new TypeError(`deadbolt migrations support SQLite and PostgreSQL only, not ${adapter.constructor.name}`);
}

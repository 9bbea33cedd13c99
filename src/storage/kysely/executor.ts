/**
 * How every repository runs its statements: against a Kysely instance or a transaction (an
 * {@link Executor}), each database call wrapped by a {@link Guard} that decides how driver
 * failures surface, multi-statement writes kept atomic by {@link inTransaction}.
 */
import type { Kysely } from "kysely";
import { StorageUnavailable } from "../../errors.js";
import type { Database } from "./database.js";

/** A Kysely instance or a transaction: repositories are written against either. */
export type Executor = Kysely<Database>;

/** Runs one database call of a repository method, deciding how its failures surface. */
export type Guard = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * Runs `work` in a transaction, or directly when `db` already is one (a repository used inside
 * `store.transaction(fn)`): the outer transaction then provides the atomicity, and no nested
 * BEGIN or savepoint is issued.
 */
export function inTransaction<T>(db: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
	if (db.isTransaction) return work(db);
	return db.transaction().execute(work);
}

/** Runs `work`, turning any failure into `StorageUnavailable` (kept as is when it already is one). */
export async function guardDriverErrors<T>(work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (error) {
		throw toStorageUnavailable(error);
	}
}

/** Wraps a driver failure in `StorageUnavailable` (`cause` keeps it); passes one through. */
export function toStorageUnavailable(error: unknown): StorageUnavailable {
	if (error instanceof StorageUnavailable) return error;
	return new StorageUnavailable(undefined, { cause: error, reason: "driver_error" });
}

/** A row count or COUNT(*) value (bigint from Kysely results, int8 or number from drivers) as a number. */
export function countOf(value: bigint | number | string): number {
	return Number(value);
}

/**
 * How every repository runs its statements: against a Kysely instance or a transaction (an
 * {@link Executor}), each database call wrapped by a {@link Guard} that decides how driver
 * failures surface, multi-statement writes kept atomic by {@link inTransaction}. A repository
 * method builds its query and hands it to one of {@link findFirst}, {@link findEvery},
 * {@link countWritten} or {@link wroteAny}, which run it under the guard and read the result.
 */
import type { DeleteResult, InsertResult, Kysely, UpdateResult } from "kysely";
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

/** A built SELECT, ready to run. */
export interface ReadQuery<Row> {
	executeTakeFirst(): Promise<Row | undefined>;
	execute(): Promise<Row[]>;
}

/** A built INSERT, UPDATE or DELETE (without RETURNING), ready to run. */
export interface WriteQuery {
	executeTakeFirst(): Promise<InsertResult | UpdateResult | DeleteResult>;
}

/**
 * Runs the SELECT that `build` returns under `guard`.
 * @returns its first row as a record, or null when it finds none
 */
export function findFirst<Row, R>(guard: Guard, build: () => ReadQuery<Row>, toRecord: (row: Row) => R): Promise<R | null> {
	return guard(async () => {
		const row = await build().executeTakeFirst();
		return row === undefined ? null : toRecord(row);
	});
}

/** Runs the SELECT that `build` returns under `guard`. @returns every row, as records, in the query's order */
export function findEvery<Row, R>(guard: Guard, build: () => ReadQuery<Row>, toRecord: (row: Row) => R): Promise<R[]> {
	return guard(async () => {
		const rows = await build().execute();
		return rows.map((row) => toRecord(row));
	});
}

/** Runs the write that `build` returns under `guard`. @returns how many rows it inserted, updated or deleted */
export function countWritten(guard: Guard, build: () => WriteQuery): Promise<number> {
	return guard(async () => {
		const result = await build().executeTakeFirst();
		if ("numUpdatedRows" in result) return countOf(result.numUpdatedRows);
		if ("numDeletedRows" in result) return countOf(result.numDeletedRows);
		return countOf(result.numInsertedOrUpdatedRows ?? 0n);
	});
}

/**
 * Runs the conditional write that `build` returns under `guard`.
 * @returns true when it wrote a row: this caller won (DESIGN.md §3.6, the affected-row count decides)
 */
export async function wroteAny(guard: Guard, build: () => WriteQuery): Promise<boolean> {
	return (await countWritten(guard, build)) > 0;
}

/** Most rows one batched housekeeping delete may take (the repositories' `limit`). */
export const DELETE_BATCH_MAX = 100_000;

/** @throws TypeError when `limit` is not an integer from 1 to {@link DELETE_BATCH_MAX} (`method` names the caller) */
export function checkDeleteBatch(method: string, limit: number): void {
	if (!Number.isInteger(limit) || limit < 1 || limit > DELETE_BATCH_MAX) throw new TypeError(`${method}: limit must be an integer from 1 to ${DELETE_BATCH_MAX}, not ${String(limit)}`);
}

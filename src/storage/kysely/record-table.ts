/**
 * The plain half of a repository whose records are stored one to one in the rows of a table
 * keyed by a text `id`: insert a record, find one by id. What decides anything (conditional
 * writes, lists, upserts) stays written out in the repository beside its comment.
 */
import type { Insertable, Kysely, Selectable } from "kysely";
import type { Database } from "./database.js";
import { findFirst, type Executor, type Guard } from "./executor.js";
import type { RowMapping, RowOf } from "./rows.js";

/** The tables whose primary key is a text `id`. */
export type IdKeyedTable = { [T in keyof Database]: Database[T] extends { id: string } ? T : never }[keyof Database];

/** `unknown` when records `R` and the rows of `T` convert both ways by name; `never` (a type error at the call) when not. */
type Fits<R, T extends keyof Database> = [Selectable<Database[T]>] extends [RowOf<R>]
	? [RowOf<R>] extends [Insertable<Database[T]>]
		? unknown
		: never
	: never;

/**
 * The view of `db` that the two statements below need: tables by name, each keyed by `id`,
 * other columns by name. {@link recordTable}'s signature checks instead that record and table fit.
 */
type IdKeyedView = Kysely<Record<string, { id: string } & Record<string, unknown>>>;

/** Insert and find-by-id over one table. */
export interface RecordTable<R> {
	/** Inserts `record` as one row (a duplicate `id` is a driver error, thrown as `StorageUnavailable`). */
	insert(record: R): Promise<void>;
	/** The record stored under `id`, or null when there is none. */
	findById(id: string): Promise<R | null>;
}

/**
 * Insert and find-by-id of `table` over `db`, each call run under `guard`.
 * @param rows - how records of `R` map onto rows of `table` (the type checks that they fit)
 */
export function recordTable<R, T extends IdKeyedTable>(db: Executor, guard: Guard, table: T, rows: RowMapping<R> & Fits<R, T>): RecordTable<R> {
	const view = db as unknown as IdKeyedView;
	const name: string = table;
	return Object.freeze({
		insert(record: R): Promise<void> {
			return guard(async () => {
				await view.insertInto(name).values(rows.toRow(record)).execute();
			});
		},
		findById(id: string): Promise<R | null> {
			return findFirst(guard, () => view.selectFrom(name).selectAll().where("id", "=", id), (row) => rows.toRecord(row as RowOf<R>));
		},
	});
}

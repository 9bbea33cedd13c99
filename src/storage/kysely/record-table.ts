/**
 * The plain half of a repository whose records are stored one to one in the rows of a table
 * keyed by a text `id`: insert a record, find one by id. What decides anything (conditional
 * writes, lists, upserts) stays written out in the repository beside its comment.
 */
import type { Insertable, Kysely, Selectable } from "kysely";
import type { Database } from "./database.js";
import type { Executor, Guard } from "./executor.js";
import { prepared, type PreparedStatement } from "./prepared.js";
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
	const findStatement = findByIdStatement(table);
	return Object.freeze({
		insert(record: R): Promise<void> {
			return guard(async () => {
				const row = rows.toRow(record) as Record<string, unknown>;
				const columns = Object.keys(row).filter((column) => row[column] !== undefined);
				await insertStatement(table, columns).written(db, ...columns.map((column) => row[column]));
			});
		},
		findById(id: string): Promise<R | null> {
			return guard(async () => {
				const row = await findStatement.first(db, id);
				return row === undefined ? null : rows.toRecord(row as RowOf<R>);
			});
		},
	});
}

/** The statements of every record table, declared once per table (and per set of columns for inserts). */
const findByIdStatements = new Map<string, PreparedStatement<[string], Record<string, unknown>>>();
const insertStatements = new Map<string, PreparedStatement<unknown[], unknown>>();

/** `SELECT * FROM table WHERE id = ?`, compiled once per dialect. */
function findByIdStatement(table: string): PreparedStatement<[string], Record<string, unknown>> {
	let statement = findByIdStatements.get(table);
	if (statement === undefined) {
		statement = prepared(`${table}.findById`, (db, id: string) => (db as unknown as IdKeyedView).selectFrom(table).selectAll().where("id", "=", id));
		findByIdStatements.set(table, statement);
	}
	return statement;
}

/** `INSERT INTO table (columns) VALUES (?, ...)`, compiled once per dialect and set of columns. */
function insertStatement(table: string, columns: readonly string[]): PreparedStatement<unknown[], unknown> {
	const key = `${table}(${columns.join(",")})`;
	let statement = insertStatements.get(key);
	if (statement === undefined) {
		statement = prepared(`${table}.insert`, (db, ...values: unknown[]) => (db as unknown as IdKeyedView).insertInto(table).values(Object.fromEntries(columns.map((column, index) => [column, values[index]])) as { id: string }));
		insertStatements.set(key, statement);
	}
	return statement;
}

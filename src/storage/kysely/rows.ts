/**
 * Row <-> record mapping by name: a record field `accountId` is stored in the column
 * `account_id` (camelCase to snake_case, DESIGN.md §3.3), with the same value. Each repository
 * declares its record's fields once ({@link rowMapping}); what does not map one to one (bytes
 * copied out, a narrowed `kind`, a fixed id) stays written out beside the query that needs it.
 */

/** `accountId` -> `account_id`, at the type level. */
export type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
	? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
	: S;

/** The row that stores a record of type `R`: every field under its snake_case column. */
export type RowOf<R> = { readonly [K in keyof R & string as SnakeCase<K>]: R[K] };

/** Every field of `R`, each once, as an object's keys (an object literal misses none and adds none). */
export type FieldSet<R> = { readonly [K in keyof R]-?: true };

/** Converts between records of type `R` and their rows, field by declared field. */
export interface RowMapping<R> {
	/** The row to insert for `record`; bytes become a driver `Buffer` over the same memory. */
	toRow(record: R): RowOf<R>;
	/** The record a selected row holds (columns beyond `R`'s fields are left out). */
	toRecord(row: RowOf<R>): R;
}

/**
 * The mapping of a record type whose fields are stored one to one in same-named columns.
 * @param fields - every field of `R` (the type checks that none is missing or extra)
 */
export function rowMapping<R extends object>(fields: FieldSet<R>): RowMapping<R> {
	const pairs = Object.keys(fields).map((field) => [field, field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] as const);
	return Object.freeze({
		toRow(record: R): RowOf<R> {
			const source = record as Record<string, unknown>;
			return Object.fromEntries(pairs.map(([field, column]) => [column, toDriverValue(source[field])])) as RowOf<R>;
		},
		toRecord(row: RowOf<R>): R {
			const source = row as Record<string, unknown>;
			return Object.fromEntries(pairs.map(([field, column]) => [field, source[column]])) as R;
		},
	});
}

/** The driver-friendly view of bytes: a `Buffer` over the same memory (no copy). */
export function toDriverBytes(bytes: Uint8Array): Buffer {
	return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A field's value as bound to a statement: bytes as a `Buffer`, anything else as it is. */
function toDriverValue(value: unknown): unknown {
	return value instanceof Uint8Array ? toDriverBytes(value) : value;
}

/**
 * Statements built and compiled by Kysely once per dialect, then run with each call's values.
 *
 * Building a query through Kysely's builders and compiling it to SQL costs more CPU than SQLite
 * takes to run a point lookup (docs/performance.md): on the hot paths (the code step, the session
 * check, forward-auth) a statement is therefore declared once with {@link prepared}, built the
 * first time it runs on a dialect with placeholder values in place of its arguments, and from then
 * on only given its arguments. The SQL text is Kysely's own, so the statement is exactly what the
 * builder would make; only the parameter values change from call to call.
 *
 * The rule for a prepared statement's builder: every argument must reach the query as one bound
 * value, unchanged (no arithmetic on it in JavaScript, no list of variable length, no branch on
 * it). The first build checks that each argument appears among the compiled parameters, and
 * throws a TypeError otherwise.
 */
import type { CompiledQuery, Compilable, QueryResult } from "kysely";
import type { Executor } from "./executor.js";

/** Placeholders stand for the arguments in the first build: strings no real value can be. */
const PLACEHOLDER_PREFIX = "\u0000deadbolt-prepared-argument-";

/** Where each compiled parameter comes from: an argument's index, or a constant of the builder. */
type ParameterSource = { readonly argument: number } | { readonly constant: unknown };

interface Template<Row> {
	readonly compiled: CompiledQuery<Row>;
	readonly sources: readonly ParameterSource[];
}

/** A statement declared once; {@link PreparedStatement.compile} gives it for one call's arguments. */
export interface PreparedStatement<Args extends readonly unknown[], Row> {
	/** The compiled statement for `args` on `db`'s dialect (built and compiled on the first call per dialect). */
	compile(db: Executor, ...args: Args): CompiledQuery<Row>;
	/** Runs the statement with `args` on `db` (a Kysely instance or a transaction). */
	execute(db: Executor, ...args: Args): Promise<QueryResult<Row>>;
	/** Runs a SELECT. @returns its rows, in the statement's order */
	rows(db: Executor, ...args: Args): Promise<Row[]>;
	/** Runs a SELECT. @returns its first row, or undefined when it found none */
	first(db: Executor, ...args: Args): Promise<Row | undefined>;
	/** Runs an INSERT, UPDATE or DELETE. @returns how many rows it wrote (a conditional write's winner sees 1) */
	written(db: Executor, ...args: Args): Promise<number>;
}

/**
 * Declares a statement built by `build` from its arguments (see the module's rule).
 * @param name - names the statement in the TypeError a broken builder gets
 * @param build - builds the query from `db` and the arguments, as a repository method would
 */
export function prepared<Args extends readonly unknown[], Row>(name: string, build: (db: Executor, ...args: Args) => Compilable<Row>): PreparedStatement<Args, Row> {
	// One template per dialect adapter: a transaction shares its Kysely instance's adapter.
	const templates = new WeakMap<object, Template<Row>>();
	function templateFor(db: Executor, arity: number): Template<Row> {
		const adapter = db.getExecutor().adapter;
		let template = templates.get(adapter);
		if (template === undefined) {
			const placeholders = Array.from({ length: arity }, (_, index) => `${PLACEHOLDER_PREFIX}${index}`) as unknown as Args;
			const compiled = build(db, ...placeholders).compile();
			const sources = compiled.parameters.map((parameter): ParameterSource => {
				if (typeof parameter === "string" && parameter.startsWith(PLACEHOLDER_PREFIX)) return { argument: Number(parameter.slice(PLACEHOLDER_PREFIX.length)) };
				return { constant: parameter };
			});
			for (let index = 0; index < arity; index++) {
				if (!sources.some((source) => "argument" in source && source.argument === index)) {
					throw new TypeError(`prepared statement ${name}: argument ${index} does not reach the query as a bound value`);
				}
			}
			template = { compiled, sources };
			templates.set(adapter, template);
		}
		return template;
	}
	function compile(db: Executor, ...args: Args): CompiledQuery<Row> {
		const { compiled, sources } = templateFor(db, args.length);
		return { ...compiled, parameters: sources.map((source) => ("argument" in source ? args[source.argument] : source.constant)) };
	}
	const execute = (db: Executor, ...args: Args): Promise<QueryResult<Row>> => db.executeQuery(compile(db, ...args));
	return Object.freeze({
		compile,
		execute,
		rows: async (db: Executor, ...args: Args) => (await execute(db, ...args)).rows,
		first: async (db: Executor, ...args: Args) => (await execute(db, ...args)).rows[0],
		written: async (db: Executor, ...args: Args) => Number((await execute(db, ...args)).numAffectedRows ?? 0n),
	});
}

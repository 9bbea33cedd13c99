/**
 * The hand-written baselines of `npm run bench:http` (issue 15, goals 1 and 3): what the code step
 * and the session check cost when written by hand on the same stack, with nothing else on the path.
 * Started by `bench/http.ts` as a child process, like the deadbolt server (IPC channel, free port):
 *   `node --import tsx bench/http/hand-verify.ts sqlite FILE` (Fastify + better-sqlite3, WAL,
 *   `synchronous = NORMAL` as deadbolt's SQLite store) or
 *   `node --import tsx bench/http/hand-verify.ts postgres URL` (Fastify + a `pg` Pool of
 *   deadbolt's default size, named prepared statements).
 *
 * Routes (Fastify, no logger, no schema):
 *   - `POST /verify` `{accountId, code}`: one SELECT of the row's TOTP key, the TOTP check
 *     (src/domain/otp/totp.ts, the previous, current and next step), one
 *     `UPDATE hand_totp SET last_step = ? WHERE id = ? AND last_step < ?` (replay protection,
 *     atomic); 200 `{accountId, step}`, 401 for a wrong code, 409 for a step already used;
 *   - `GET /session` with `Authorization: Bearer <token>`: one SELECT by the SHA-256 of the token
 *     (the primary key), the expiry checked; 200 `{accountId, expiresAt}`, 401 otherwise.
 * Nothing else: no attempt counting, no challenge, no audit row, no session made, no encryption of
 * the key at rest. The clock is fixed at the start (as the deadbolt bench server's), so the codes
 * handed out by `hand-seed` stay valid for the whole run.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import Database from "better-sqlite3";
import Fastify from "fastify";
import pg from "pg";
import { DEFAULT_CONFIG } from "../../src/config/defaults.js";
import { generateTOTP, verifyTOTP } from "../../src/domain/otp/totp.js";
import { createRoundObserver } from "./observe.js";
import type { HandVerifyItem, ReadyMessage, ServerReply, ServerRequest } from "./protocol.js";

/** What the two routes need of a database. */
interface HandStore {
	/** The TOTP key of `id`, or null. */
	secretOf(id: string): Promise<Buffer | null> | Buffer | null;
	/** Sets `last_step` to `step` when it was lower; whether it was. */
	useStep(id: string, step: number): Promise<boolean> | boolean;
	/** The live session whose token hashes to `tokenHash`, or null. */
	session(tokenHash: Buffer): Promise<{ accountId: string; expiresAt: number } | null> | { accountId: string; expiresAt: number } | null;
	/** Inserts the rows (bulk, not measured). */
	seed(rows: readonly { id: string; secret: Buffer }[], session: { tokenHash: Buffer; accountId: string; expiresAt: number }): Promise<void>;
}

const [backend, location] = process.argv.slice(2);
if ((backend !== "sqlite" && backend !== "postgres") || location === undefined) throw new Error("usage: hand-verify.ts sqlite FILE | postgres URL");

const SCHEMA = [
	"create table if not exists hand_totp (id text primary key, secret bytea not null, last_step bigint not null)",
	"create table if not exists hand_session (token_hash bytea primary key, account_id text not null, expires_at bigint not null)",
];

function sqliteStore(file: string): HandStore {
	const db = new Database(file);
	db.pragma("journal_mode = WAL");
	db.pragma("synchronous = NORMAL");
	for (const statement of SCHEMA) db.exec(statement.replaceAll("bytea", "blob").replaceAll("bigint", "integer"));
	const selectSecret = db.prepare<[string], { secret: Buffer }>("select secret from hand_totp where id = ?");
	const updateStep = db.prepare<[number, string, number]>("update hand_totp set last_step = ? where id = ? and last_step < ?");
	const selectSession = db.prepare<[Buffer], { account_id: string; expires_at: number }>("select account_id, expires_at from hand_session where token_hash = ?");
	const insertTotp = db.prepare<[string, Buffer]>("insert into hand_totp (id, secret, last_step) values (?, ?, 0)");
	const insertSession = db.prepare<[Buffer, string, number]>("insert into hand_session (token_hash, account_id, expires_at) values (?, ?, ?)");
	return {
		secretOf: (id) => selectSecret.get(id)?.secret ?? null,
		useStep: (id, step) => updateStep.run(step, id, step).changes === 1,
		session: (tokenHash) => {
			const row = selectSession.get(tokenHash);
			return row === undefined ? null : { accountId: row.account_id, expiresAt: row.expires_at };
		},
		seed: async (rows, session) => {
			db.transaction(() => {
				for (const row of rows) insertTotp.run(row.id, row.secret);
				insertSession.run(session.tokenHash, session.accountId, session.expiresAt);
			})();
		},
	};
}

function postgresStore(url: string): HandStore {
	// int8 as a JS number (deadbolt's pool does the same).
	pg.types.setTypeParser(pg.types.builtins.INT8, Number);
	const pool = new pg.Pool({ connectionString: url, max: DEFAULT_CONFIG.storage.postgresPoolSize });
	pool.on("error", () => {});
	let created: Promise<unknown> | null = null;
	const ready = (): Promise<unknown> => (created ??= SCHEMA.reduce<Promise<unknown>>((previous, statement) => previous.then(() => pool.query(statement)), Promise.resolve()));
	return {
		secretOf: async (id) => (await pool.query<{ secret: Buffer }>({ name: "hand-secret", text: "select secret from hand_totp where id = $1", values: [id] })).rows[0]?.secret ?? null,
		useStep: async (id, step) => (await pool.query({ name: "hand-step", text: "update hand_totp set last_step = $1 where id = $2 and last_step < $1", values: [step, id] })).rowCount === 1,
		session: async (tokenHash) => {
			const row = (await pool.query<{ account_id: string; expires_at: number }>({ name: "hand-session", text: "select account_id, expires_at from hand_session where token_hash = $1", values: [tokenHash] })).rows[0];
			return row === undefined ? null : { accountId: row.account_id, expiresAt: row.expires_at };
		},
		seed: async (rows, session) => {
			await ready();
			for (let start = 0; start < rows.length; start += 5000) {
				const chunk = rows.slice(start, start + 5000);
				await pool.query("insert into hand_totp (id, secret, last_step) select id, secret, 0 from unnest($1::text[], $2::bytea[]) as t (id, secret)", [chunk.map((row) => row.id), chunk.map((row) => row.secret)]);
			}
			await pool.query("insert into hand_session (token_hash, account_id, expires_at) values ($1, $2, $3)", [session.tokenHash, session.accountId, session.expiresAt]);
		},
	};
}

const store = backend === "sqlite" ? sqliteStore(location) : postgresStore(location);
/** The fixed time of every check (milliseconds). */
const NOW = Date.now();
const sha256 = (value: string): Buffer => createHash("sha256").update(value).digest();

const app = Fastify({ logger: false });
app.post("/verify", async (request, reply) => {
	const body = request.body as { accountId?: unknown; code?: unknown } | null;
	if (typeof body?.accountId !== "string" || typeof body.code !== "string") return reply.status(400).send({ error: "bad request" });
	const secret = await store.secretOf(body.accountId);
	const step = secret === null ? null : verifyTOTP(secret, body.code, NOW);
	if (step === null) return reply.status(401).send({ error: "wrong code" });
	if (!(await store.useStep(body.accountId, step))) return reply.status(409).send({ error: "code already used" });
	return { accountId: body.accountId, step };
});
app.get("/session", async (request, reply) => {
	const header = request.headers.authorization;
	const token = header?.startsWith("Bearer ") === true ? header.slice(7) : null;
	const tokenHash = token === null ? null : sha256(token);
	const session = tokenHash === null ? null : await store.session(tokenHash);
	if (session === null || session.expiresAt <= NOW) return reply.status(401).send({ error: "no session" });
	return session;
});
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
if (address === null || typeof address === "string") throw new Error("no TCP address");

const observe = createRoundObserver();

async function handle(request: ServerRequest): Promise<ServerReply> {
	switch (request.type) {
		case "hand-seed": {
			const start = process.hrtime.bigint();
			const rows = Array.from({ length: request.verifies }, () => ({ id: randomBytes(12).toString("base64url"), secret: randomBytes(20) }));
			const sessionToken = `${randomBytes(12).toString("base64url")}.${randomBytes(32).toString("base64url")}`;
			await store.seed(rows, { tokenHash: sha256(sessionToken), accountId: randomBytes(12).toString("base64url"), expiresAt: NOW + 86_400_000 });
			const verifies: HandVerifyItem[] = rows.map((row) => ({ accountId: row.id, code: generateTOTP(row.secret, NOW) }));
			return { id: request.id, type: "hand-seeded", verifies, sessionToken, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
		}
		case "observe-start":
		case "observe-stop":
			return observe(request);
		default:
			throw new Error(`${request.type} is not for the hand-written server`);
	}
}

process.on("message", (message: ServerRequest) => {
	handle(message).then(
		(reply) => process.send?.(reply),
		(error: unknown) => process.send?.({ id: message.id, type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ServerReply),
	);
});
process.on("disconnect", () => {
	void app.close().finally(() => process.exit(0));
});
process.send?.({ type: "ready", port: address.port } satisfies ReadyMessage);

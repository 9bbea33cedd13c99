/**
 * A deadbolt bench server (bench/http/server.ts: what `deadbolt serve` runs, with its fixed clock)
 * on a seeded database of `npm run bench:scale`, and what its loads need, made the same way
 * whatever the database holds: accounts with 2FA on and their login challenges (the server's
 * `seed`, through deadbolt's service functions), and sessions made by the code step over HTTP.
 */
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadConfig } from "../../src/config/load.js";
import { resolveKeys } from "../../src/deadbolt.js";
import { openTOTPKey } from "../../src/service/totp-key.js";
import { forwardAuthToken } from "../../src/service/forward-auth-sessions.js";
import type { ServerKeys, ServiceDeps } from "../../src/service/deps.js";
import type { Logger } from "../../src/platform/logger.js";
import { nodeRandom } from "../../src/platform/random.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { ChildServer, childEnv } from "../http/child-server.js";
import { BENCH_PASSWORD, type SecondStepItem } from "../http/protocol.js";
import type { SeededDatabase } from "./databases.js";

const SERVER_SCRIPT = "bench/http/server.ts";
/** The host of the protected app the forward-auth requests ask about. */
export const APP_HOST = "app.example.test";
/** The protected request every forward-auth check asks about. */
const ORIGINAL_PATH = "/projects/42/issues?state=open";
/** The forward-auth cookie's name with `session.cookieDomain` set and an http public URL (src/http/cookies.ts). */
const FORWARD_AUTH_COOKIE = "deadbolt_forward_auth";

/** deadbolt's configuration on top of the defaults (as bench:forward-auth's, and bench:http's rate limit). */
const DEADBOLT_CONFIG = Object.freeze({
	http: { publicUrl: "http://auth.example.test", trustedProxies: ["loopback"] },
	session: { cookieDomain: "example.test" },
	accessControl: { defaultPolicy: "deny", rules: [{ domains: [APP_HOST], policy: "one_factor" }] },
	// Per-IP limit on the credential routes: the largest the configuration accepts (bench:http's).
	rateLimit: { perMinute: 100_000 },
});

const SILENT = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT } as unknown as Logger;

/** A running server on a seeded database, with what its loads use. */
export interface ScaleServer {
	/** "1K" or "1M". */
	readonly label: string;
	readonly server: ChildServer;
	readonly logFile: string;
	/** Prepared code steps: a live challenge and its code each, used once. */
	readonly codeSteps: readonly SecondStepItem[];
	/** The headers of `GET /api/v1/session`, one set per measured session. */
	readonly sessionHeaders: readonly Readonly<Record<string, string>>[];
	/** The headers of `GET /api/v1/authz/forward-auth` (Caddy's and Traefik's), one set per measured session. */
	readonly forwardAuthHeaders: readonly Readonly<Record<string, string>>[];
}

/** One HTTP request to the server; resolves with the status and the body. */
function call(port: number, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
	return new Promise((done, fail) => {
		const payload = body === undefined ? undefined : JSON.stringify(body);
		const request = httpRequest({ host: "127.0.0.1", port, method, path, headers: { accept: "application/json", ...headers, ...(payload === undefined ? {} : { "content-type": "application/json" }) }, timeout: 30_000 }, (response) => {
			let text = "";
			response.setEncoding("utf8");
			response.on("data", (chunk: string) => (text += chunk));
			response.on("end", () => done({ status: response.statusCode ?? 0, body: text, headers: response.headers }));
		});
		request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
		request.on("error", fail);
		request.end(payload);
	});
}

/** The code step over HTTP as an API client; returns the new session's token. */
async function codeStep(port: number, item: SecondStepItem): Promise<string> {
	const answer = await call(port, "POST", "/api/v1/login/totp", {}, { challengeToken: item.challengeToken, code: item.code });
	const token = answer.status === 200 ? (JSON.parse(answer.body) as { session?: { token?: string } }).session?.token : undefined;
	if (token === undefined) throw new Error(`POST /api/v1/login/totp: expected a session, got ${answer.status} ${answer.body.slice(0, 300)}`);
	return token;
}

/** The headers of the loads for a session token. */
function headersOf(keys: ServerKeys, token: string): { session: Record<string, string>; forwardAuth: Record<string, string> } {
	const derived = forwardAuthToken({ keys } as ServiceDeps, token);
	if (derived === null) throw new Error("a malformed session token");
	return {
		session: { authorization: `Bearer ${token}`, accept: "application/json" },
		forwardAuth: { cookie: `${FORWARD_AUTH_COOKIE}=${derived}`, accept: "application/json", "x-forwarded-method": "GET", "x-forwarded-proto": "http", "x-forwarded-host": APP_HOST, "x-forwarded-uri": ORIGINAL_PATH, "x-forwarded-for": "127.0.0.1" },
	};
}

/**
 * Checks that the seeded rows work in deadbolt: seeded account 1 (no 2FA) signs in with the
 * benchmark password; seeded account 0 (2FA on) signs in with the password and a code of its
 * sealed key, opened with the database's keys (the server's clock is the real time until `seed`).
 * @param openKey - the sealed TOTP key of seeded account 0, opened
 */
async function checkSeededRows(port: number, openKey: () => Promise<Uint8Array>): Promise<void> {
	const password = await call(port, "POST", "/api/v1/login", {}, { email: "scale-1@example.com", password: BENCH_PASSWORD });
	if (password.status !== 200 || !password.body.includes('"authenticated"')) throw new Error(`a seeded account without 2FA could not sign in: ${password.status} ${password.body.slice(0, 300)}`);
	const first = await call(port, "POST", "/api/v1/login", {}, { email: "scale-0@example.com", password: BENCH_PASSWORD });
	const challengeToken = first.status === 200 ? (JSON.parse(first.body) as { challenge?: { challengeToken?: string } }).challenge?.challengeToken : undefined;
	if (challengeToken === undefined) throw new Error(`a seeded account with 2FA: expected a challenge, got ${first.status} ${first.body.slice(0, 300)}`);
	await codeStep(port, { challengeToken, code: generateTOTP(await openKey(), Date.now()) });
}

/**
 * Starts the bench server on `database` (its config, log and files in `dir`), checks the seeded
 * rows, prepares `codeSteps` code steps and `sessions` sessions.
 * @param readSealedKey - the sealed TOTP key of seeded account 0 and its row (id, account id)
 */
export async function startScaleServer(label: string, dir: string, database: SeededDatabase, codeSteps: number, sessions: number, readSealedKey: () => Promise<{ id: string; accountId: string; secretCiphertext: Uint8Array }>): Promise<ScaleServer> {
	mkdirSync(dir, { recursive: true });
	const configFile = join(dir, "config.json");
	writeFileSync(configFile, `${JSON.stringify(DEADBOLT_CONFIG, null, 2)}\n`);
	const logFile = join(dir, "server.log");
	const server = await ChildServer.start(SERVER_SCRIPT, [configFile], childEnv({ ...database.env, DEADBOLT_HTTP_PORT: "0" }), logFile);
	try {
		const { keys } = resolveKeys(loadConfig({ env: { ...database.env } }), nodeRandom, SILENT);
		await checkSeededRows(server.port, async () => openTOTPKey({ keys }, await readSealedKey()));
		// Accounts with 2FA on and their challenges, for a fresh time step (the server's clock moves one step on).
		const seeded = await server.call({ type: "seed", secondStep: codeSteps + sessions, logins: 0, verified: true }, "seeded");
		const sessionHeaders: Record<string, string>[] = [];
		const forwardAuthHeaders: Record<string, string>[] = [];
		for (const item of seeded.secondStep.slice(codeSteps)) {
			const headers = headersOf(keys, await codeStep(server.port, item));
			sessionHeaders.push(headers.session);
			forwardAuthHeaders.push(headers.forwardAuth);
		}
		// Every load answers 200 (the forward-auth check with the session's identity).
		const check = await call(server.port, "GET", "/api/v1/session", sessionHeaders[0]!);
		if (check.status !== 200) throw new Error(`GET /api/v1/session: expected 200, got ${check.status} ${check.body.slice(0, 300)}`);
		const decision = await call(server.port, "GET", "/api/v1/authz/forward-auth", forwardAuthHeaders[0]!);
		if (decision.status !== 200 || typeof decision.headers["remote-email"] !== "string") throw new Error(`GET /api/v1/authz/forward-auth: expected 200 with Remote-Email, got ${decision.status} ${decision.body.slice(0, 300)}`);
		return { label, server, logFile, codeSteps: seeded.secondStep.slice(0, codeSteps), sessionHeaders, forwardAuthHeaders };
	} catch (error) {
		await server.stop();
		throw new Error(`${label}: ${(error as Error).message} (deadbolt's log: ${logFile})`, { cause: error });
	}
}

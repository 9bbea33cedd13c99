/**
 * deadbolt as an OpenID Connect provider for the tests (issue 13): listening on a loopback port
 * that is also its issuer (`http.publicUrl`), on the real clock (relying parties check `iat`,
 * `exp` and `auth_time` against theirs), with the test keys; and {@link OidcBrowser}, a browser
 * without a screen that follows redirects and keeps cookies per host as a browser does, and fills
 * in deadbolt's sign-in forms as a person would.
 */
import { mkdtempSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt, type Deadbolt } from "../../src/deadbolt.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { silentLogger, type Logger } from "../../src/platform/logger.js";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";
import { freePort } from "./cli-process.js";
import { TEST_KEYS } from "./deadbolt.js";
import { mailsTo, tokenOf } from "./mailed-links.js";

/** The password of every account these tests make. */
export const OIDC_PASSWORD = "correct horse battery staple";

/** A listening provider. */
export interface OidcProvider {
	readonly deadbolt: Deadbolt;
	readonly store: Store;
	/** `http://127.0.0.1:<port>`: the issuer and the address of everything. */
	readonly issuer: string;
	close(): Promise<void>;
}

/** Options: the `oidc` config part (clients), other overrides, a store (default: a new SQLite file). */
export interface OidcProviderOptions {
	readonly clients: readonly Record<string, unknown>[];
	/** `oidc.enabled`: the provider on even without `clients` (for clients added through the admin API). */
	readonly oidcEnabled?: boolean;
	/** `DEADBOLT_ADMIN_API_KEY`: turns the admin API on (`/api/v1/admin/...`). */
	readonly adminApiKey?: string;
	readonly overrides?: Readonly<Record<string, unknown>>;
	readonly store?: Store;
	/** The port to listen on (default: a free one). */
	readonly port?: number;
	/**
	 * Starts the outbox dispatcher as `deadbolt serve` does (`deadbolt.createDispatcher().start()`):
	 * back-channel logout tokens (and mails, written as `.eml` files in the data directory) then
	 * leave on their own after each commit. Default false: deliveries stay pending.
	 */
	readonly dispatcher?: boolean;
	/** deadbolt's logger (default: silent), e.g. `recordingLogger` of test/helpers/deadbolt.ts. */
	readonly logger?: Logger;
}

/** Starts deadbolt as a provider. */
export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProvider> {
	const port = options.port ?? (await freePort());
	const issuer = `http://127.0.0.1:${port}`;
	const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-oidc-"));
	const config = loadConfig({
		overrides: {
			dataDir,
			http: { host: "127.0.0.1", port, publicUrl: issuer },
			log: { level: "silent" },
			rateLimit: { perMinute: 10_000 },
			oidc: { enabled: options.oidcEnabled ?? false, clients: options.clients },
			...(options.adminApiKey === undefined ? {} : { keys: { encryptionKey: null, hmacKey: null, adminApiKey: options.adminApiKey } }),
			...options.overrides,
		},
	});
	const store = options.store ?? (await openSqliteStore({ path: join(dataDir, "deadbolt.sqlite") }));
	const deadbolt = await createDeadbolt(config, { store, keys: TEST_KEYS, logger: options.logger ?? silentLogger });
	// `deadbolt.close()` stops it, waiting for the sends under way.
	if (options.dispatcher === true) deadbolt.createDispatcher().start();
	const app = await buildApp(deadbolt);
	await app.listen({ host: "127.0.0.1", port });
	return {
		deadbolt,
		store,
		issuer,
		async close() {
			await app.close();
			await deadbolt.close();
		},
	};
}

/** An account made through the service calls, with 2FA on (and, when asked, its authenticator confirmed by mail). */
export interface OidcAccount {
	readonly id: string;
	readonly email: string;
	/** The authenticator's key (null: 2FA off). */
	readonly key: Uint8Array | null;
	/** A code for now (throws without 2FA). */
	code(): string;
}

let accounts = 0;

/**
 * Registers an account on the provider: verified address; `twoFactor` turns 2FA on; `confirmed`
 * also confirms the authenticator by the mailed link (what an aal2 client needs).
 */
export async function makeOidcAccount(provider: OidcProvider, options: { twoFactor?: boolean; confirmed?: boolean; email?: string; groups?: readonly string[] } = {}): Promise<OidcAccount> {
	const { deadbolt, store } = provider;
	const email = options.email ?? `oidc-user${++accounts}-${process.pid}@example.com`;
	const { account, session } = await deadbolt.registerAccount({ email, password: OIDC_PASSWORD });
	await store.accounts.markEmailVerified(account.id, Date.now());
	if (options.groups !== undefined) await deadbolt.setAccountGroups(account.id, [...options.groups], { via: "cli" });
	let key: Uint8Array | null = null;
	const usedSteps = new Set<number>();
	if (options.twoFactor === true || options.confirmed === true) {
		const auth = await deadbolt.validateSession(session!.token);
		const pending = await deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: OIDC_PASSWORD });
		key = decodeBase32(pending.secret);
		const rotated = await deadbolt.validateSession(pending.sessionToken ?? session!.token);
		// The previous time step (inside the drift window): the sign-ins of the test then have this step and the next one.
		const enrolledAt = Date.now() - 30_000;
		usedSteps.add(Math.floor(enrolledAt / 30_000));
		const confirmed = await deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code: generateTOTP(key, enrolledAt) });
		if (options.confirmed === true) {
			const aal2 = await deadbolt.validateSession(confirmed.sessionToken);
			await deadbolt.requestTwoFactorMailConfirmation(aal2);
			const mail = (await mailsTo(store, email, "two_factor.confirm")).at(-1);
			const token = mail === undefined ? null : tokenOf(mail);
			if (token === null) throw new Error("no two_factor.confirm mail");
			await deadbolt.confirmTwoFactorByMail(aal2, { token });
		}
	}
	return {
		id: account.id,
		email,
		key,
		code() {
			if (key === null) throw new Error("this account has no 2FA");
			// A code of a time step not used yet by this account (deadbolt refuses a replayed step).
			let at = Date.now();
			while (usedSteps.has(Math.floor(at / 30_000))) at += 30_000;
			usedSteps.add(Math.floor(at / 30_000));
			return generateTOTP(key, at);
		},
	};
}

/** An answer as the browser saw it. */
export interface BrowserResponse {
	readonly status: number;
	readonly url: string;
	readonly location: string | null;
	readonly body: string;
	/** The response headers (node:http's: lower-case names). */
	readonly headers: IncomingHttpHeaders;
}

/** A browser: cookies per host (host-only, as deadbolt's and most apps' are), manual redirects. */
export class OidcBrowser {
	private readonly jar = new Map<string, Map<string, string>>();
	private readonly cookieScope: "host" | "hostname";

	/**
	 * @param cookieScope - `"host"` (default): cookies kept per host and port; `"hostname"`: per
	 *   host name whatever the port, as browsers keep them (RFC 6265 §8.5: cookies do not isolate
	 *   ports), e.g. for two instances of deadbolt on two ports of 127.0.0.1
	 */
	constructor(cookieScope: "host" | "hostname" = "host") {
		this.cookieScope = cookieScope;
	}

	/** The jar's key of `url`: its host (with the port) or its host name. */
	private jarKey(url: string): string {
		const parsed = new URL(url);
		return this.cookieScope === "host" ? parsed.host : parsed.hostname;
	}

	/** The cookie header for `url`'s host. */
	cookieHeader(url: string): string {
		const cookies = this.jar.get(this.jarKey(url)) ?? new Map<string, string>();
		return [...cookies.entries()].map(([name, value]) => `${name}=${value}`).join("; ");
	}

	/** Forgets one cookie of a host (a user clearing it). */
	dropCookie(url: string, name: string): void {
		this.jar.get(this.jarKey(url))?.delete(name);
	}

	/** One request, no redirect followed; keeps the cookies it sets. */
	async request(url: string, init: { method?: string; form?: Readonly<Record<string, string>>; origin?: string } = {}): Promise<BrowserResponse> {
		const headers: Record<string, string> = { accept: "text/html", "sec-fetch-mode": "navigate" };
		const cookie = this.cookieHeader(url);
		if (cookie !== "") headers["cookie"] = cookie;
		let body: string | undefined;
		if (init.form !== undefined) {
			headers["content-type"] = "application/x-www-form-urlencoded";
			headers["origin"] = init.origin ?? new URL(url).origin;
			body = new URLSearchParams(init.form).toString();
		}
		// node:http, not fetch: fetch replaces `sec-fetch-mode` with "cors", and mod_auth_openidc
		// answers 401 instead of redirecting to the provider when a request is not a navigation.
		const response = await sendRequest(url, init.method ?? (body === undefined ? "GET" : "POST"), headers, body);
		const host = this.jarKey(url);
		const cookies = this.jar.get(host) ?? new Map<string, string>();
		for (const line of response.setCookies) {
			const [pair = ""] = line.split(";");
			const equals = pair.indexOf("=");
			if (equals <= 0) continue;
			const name = pair.slice(0, equals).trim();
			const value = pair.slice(equals + 1).trim();
			const expired = value === "" || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line);
			if (expired) cookies.delete(name);
			else cookies.set(name, value);
		}
		this.jar.set(host, cookies);
		const location = response.location;
		return { status: response.status, url, location: location === null ? null : new URL(location, url).href, body: response.body, headers: response.headers };
	}

	/**
	 * Follows redirects from `url` until one leaves for `stopAt` (returned, not followed), or a page
	 * answers (returned).
	 */
	async follow(url: string, stopAt: string, init: { method?: string; form?: Readonly<Record<string, string>>; origin?: string } = {}): Promise<BrowserResponse> {
		let response = await this.request(url, init);
		for (let hops = 0; hops < 20; hops++) {
			if (response.location === null || (response.status !== 302 && response.status !== 303 && response.status !== 307)) return response;
			if (response.location.startsWith(stopAt)) return response;
			response = await this.request(response.location);
		}
		throw new Error(`too many redirects from ${url}`);
	}

	/**
	 * Fills in deadbolt's sign-in at `page` (the sign-in page a redirect led to): password, then
	 * the code when `code` is given. Follows the redirects after it to `stopAt`.
	 */
	async signIn(page: BrowserResponse, email: string, stopAt: string, code?: () => string): Promise<BrowserResponse> {
		expect(page.status, page.body.slice(0, 300)).toBe(200);
		expect(page.url).toMatch(/\/dashboard\/sign-in/);
		const origin = new URL(page.url).origin;
		let answer = await this.request(`${origin}/dashboard/sign-in`, { form: { csrf: csrfOf(page.body), email, password: OIDC_PASSWORD } });
		expect(answer.status, answer.body.slice(0, 300)).toBe(303);
		if (code !== undefined) {
			expect(answer.location).toMatch(/\/dashboard\/sign-in\/code$/);
			const form = await this.request(answer.location!);
			answer = await this.request(`${origin}/dashboard/sign-in/code`, { form: { csrf: csrfOf(form.body), code: code() } });
			expect(answer.status, answer.body.slice(0, 300)).toBe(303);
		}
		return answer.location === null || answer.location.startsWith(stopAt) ? answer : this.follow(answer.location, stopAt);
	}
}

/** One HTTP request with exactly `headers` (plus host and content-length); no redirect followed, no compression asked. */
function sendRequest(url: string, method: string, headers: Readonly<Record<string, string>>, body: string | undefined): Promise<{ status: number; location: string | null; setCookies: string[]; body: string; headers: IncomingHttpHeaders }> {
	return new Promise((resolve, reject) => {
		const outgoing = httpRequest(url, { method, headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) }, timeout: 30_000 }, (response) => {
			const chunks: Buffer[] = [];
			response.on("data", (chunk: Buffer) => chunks.push(chunk));
			response.on("error", reject);
			response.on("end", () => {
				const location = response.headers.location;
				resolve({ status: response.statusCode ?? 0, location: typeof location === "string" ? location : null, setCookies: response.headers["set-cookie"] ?? [], body: Buffer.concat(chunks).toString("utf8"), headers: response.headers });
			});
		});
		outgoing.on("timeout", () => outgoing.destroy(new Error(`${method} ${url}: no answer within 30 s`)));
		outgoing.on("error", reject);
		outgoing.end(body);
	});
}

/** The CSRF field of the first form of a dashboard page. */
export function csrfOf(html: string): string {
	const match = /name="csrf" value="([^"]+)"/.exec(html);
	if (match === null) throw new Error(`no CSRF field in the page: ${html.slice(0, 300)}`);
	return match[1]!;
}

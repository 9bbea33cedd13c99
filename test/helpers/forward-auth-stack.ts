/**
 * A whole forward-auth deployment on loopback, as docs/integrations/ describes it: deadbolt
 * in-process (SQLite in a temporary directory, the real clock, the test keys so that mailed links
 * can be read from the outbox) on a random port, the echo upstream as the protected app, and one
 * real proxy (nginx or Caddy, test/helpers/proxies.ts) in front of both:
 *
 *   http://auth.example.test:<proxy port>  -> deadbolt (`http.publicUrl`)
 *   http://app.example.test:<proxy port>   -> auth request to deadbolt, then the echo upstream
 *
 * deadbolt trusts the proxy (`http.trustedProxies: ["loopback"]` unless told otherwise), puts the
 * forward-auth cookie on `example.test` (`session.cookieDomain`), and decides with
 * {@link TEST_ACCESS_RULES} unless told otherwise. No DNS: requests name the host in `Host`
 * ({@link proxiedRequest}) or Chromium maps `*.example.test` to 127.0.0.1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { createDeadbolt, type Deadbolt } from "../../src/deadbolt.js";
import { silentLogger } from "../../src/platform/logger.js";
import type { Store } from "../../src/storage/store.js";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import { apiClient, type APIClient } from "./api-client.js";
import { freePort } from "./cli-process.js";
import { TEST_KEYS } from "./deadbolt.js";
import { startEchoUpstream, startProxy, type EchoUpstream, type ProxyKind, type RunningProxy } from "./proxies.js";

/** The protected app's host in the docs' configs. */
export const APP_HOST = "app.example.test";
/** deadbolt's host in the docs' configs. */
export const AUTH_HOST = "auth.example.test";

/** A host with a bypass rule that no proxy serves. */
export const OTHER_BYPASS_HOST = "public.example.test";

/**
 * The rules of the proxy tests. The docs' configs protect one app, so the policies differ by path:
 * `/public/...` bypass, `/closed/...` deny, `/secure/...` two_factor, anything else one_factor.
 * `public.example.test` (which no proxy serves) is bypass, to show that a request is judged by
 * the site it reaches, never by a host it names; any other host: the default policy, deny.
 */
export const TEST_ACCESS_RULES = Object.freeze({
	defaultPolicy: "deny",
	rules: [
		{ domains: [APP_HOST], resources: ["^/public(/|\\?|$)"], policy: "bypass" },
		{ domains: [APP_HOST], resources: ["^/closed(/|\\?|$)"], policy: "deny" },
		{ domains: [APP_HOST], resources: ["^/secure(/|\\?|$)"], policy: "two_factor" },
		{ domains: [APP_HOST], policy: "one_factor" },
		{ domains: [OTHER_BYPASS_HOST], policy: "bypass" },
	],
});

/** A running deployment. */
export interface ForwardAuthStack {
	readonly kind: ProxyKind;
	readonly proxy: RunningProxy;
	readonly upstream: EchoUpstream;
	readonly deadbolt: Deadbolt;
	readonly store: Store;
	readonly app: FastifyInstance;
	/** deadbolt's own address, `http://127.0.0.1:<port>` (what the proxy talks to). */
	readonly deadboltUrl: string;
	/** A JSON API client of deadbolt, directly (not through the proxy). */
	readonly api: APIClient;
	/** `http://auth.example.test:<proxy port>`: `http.publicUrl`. */
	readonly publicUrl: string;
	/** `http://app.example.test:<proxy port>` */
	readonly appOrigin: string;
	close(): Promise<void>;
}

/** Options of {@link startForwardAuthStack}. */
export interface ForwardAuthStackOptions {
	/** `http.trustedProxies`; default ["loopback"] (the proxy). */
	readonly trustedProxies?: readonly string[];
	/** `accessControl`; default {@link TEST_ACCESS_RULES}. */
	readonly accessControl?: unknown;
}

/**
 * The config of a deadbolt of these tests: behind a proxy whose deadbolt site is `publicUrl`, the
 * forward-auth cookie on `example.test`, the given (or the test) rules, silent.
 */
export function forwardAuthConfig(dataDir: string, publicUrl: string, options: ForwardAuthStackOptions = {}): Config {
	return loadConfig({
		overrides: {
			dataDir,
			http: { host: "127.0.0.1", port: 0, publicUrl, trustedProxies: [...(options.trustedProxies ?? ["loopback"])] },
			session: { cookieDomain: "example.test" },
			accessControl: options.accessControl ?? TEST_ACCESS_RULES,
			log: { level: "silent" },
			// The tests sign in many times a minute from one address.
			rateLimit: { perMinute: 10_000 },
		},
	});
}

/** A deadbolt listening on a random loopback port. */
export interface ListeningDeadbolt {
	readonly deadbolt: Deadbolt;
	readonly app: FastifyInstance;
	/** `127.0.0.1:<port>` (what a proxy talks to). */
	readonly address: string;
	/** `http://127.0.0.1:<port>` */
	readonly url: string;
	/** A JSON API client of it, directly (not through a proxy). */
	readonly api: APIClient;
	/** Stops listening and closes deadbolt (and its store). */
	close(): Promise<void>;
}

/** Starts deadbolt on `store` (the test keys, so that mailed links can be read) on a random loopback port. */
export async function listenDeadbolt(config: Config, store: Store): Promise<ListeningDeadbolt> {
	const deadbolt = await createDeadbolt(config, { store, keys: TEST_KEYS, logger: silentLogger });
	const app = await buildApp(deadbolt);
	await app.listen({ host: "127.0.0.1", port: 0 });
	const bound = app.server.address();
	if (bound === null || typeof bound === "string") throw new Error("deadbolt has no TCP address");
	const url = `http://127.0.0.1:${bound.port}`;
	return {
		deadbolt,
		app,
		address: `127.0.0.1:${bound.port}`,
		url,
		api: apiClient(url),
		async close() {
			await app.close();
			await deadbolt.close();
		},
	};
}

/** Starts deadbolt, the upstream and the proxy `kind`. */
export async function startForwardAuthStack(kind: ProxyKind, options: ForwardAuthStackOptions = {}): Promise<ForwardAuthStack> {
	const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-forward-auth-"));
	const proxyPort = await freePort();
	const publicUrl = `http://${AUTH_HOST}:${proxyPort}`;
	const store = await openSqliteStore({ path: join(dataDir, "deadbolt.sqlite") });
	const instance = await listenDeadbolt(forwardAuthConfig(dataDir, publicUrl, options), store);
	const upstream = await startEchoUpstream();
	const proxy = await startProxy(kind, { deadbolt: instance.address, upstream: upstream.address }, proxyPort);
	return {
		kind,
		proxy,
		upstream,
		deadbolt: instance.deadbolt,
		store,
		app: instance.app,
		deadboltUrl: instance.url,
		api: instance.api,
		publicUrl,
		appOrigin: proxy.origin(APP_HOST),
		async close() {
			await proxy.stop();
			await upstream.stop();
			await instance.close();
			rmSync(dataDir, { recursive: true, force: true });
		},
	};
}

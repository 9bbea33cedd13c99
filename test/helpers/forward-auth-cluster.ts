/**
 * A forward-auth deployment with several deadbolt instances, as an operator runs it on PostgreSQL
 * (issue 12, "the PostgreSQL store with two deadbolt instances for revocation"): two deadbolt apps
 * in-process on two loopback ports, each with its own connection pool to ONE PostgreSQL schema
 * (created for the cluster, dropped at the end), with the same config and keys; the echo upstream
 * as the protected app; and in front, for every pair (proxy kind, instance), a real nginx or Caddy
 * started from the docs' very file (test/helpers/proxies.ts) with `127.0.0.1:9091` replaced by
 * that instance's address. So every proxy reaches every instance:
 *
 *   nginx → instance 1   (its port is the one of `http.publicUrl`: browsers sign in there)
 *   nginx → instance 2
 *   caddy → instance 1
 *   caddy → instance 2
 *
 * Each route serves `auth.example.test` and `app.example.test` on its own port; the forward-auth
 * cookie is on `example.test`, so a browser's cookie reaches the app through all of them.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPostgresStore } from "../../src/storage/postgres.js";
import type { Store } from "../../src/storage/store.js";
import { freePort } from "./cli-process.js";
import { AUTH_HOST, forwardAuthConfig, listenDeadbolt, type ForwardAuthStackOptions, type ListeningDeadbolt } from "./forward-auth-stack.js";
import { TEST_DATABASE_URL, withClient } from "./postgres-databases.js";
import { PROXY_KINDS, startEchoUpstream, startProxy, type EchoUpstream, type ProxyKind, type RunningProxy } from "./proxies.js";
import type { BrowserRoute } from "./proxy-browser.js";

/** One proxy in front of one instance. */
export interface ClusterRoute extends BrowserRoute {
	readonly kind: ProxyKind;
	/** The instance behind it: 1 or 2. */
	readonly instance: number;
	readonly proxy: RunningProxy;
	/** `"nginx → instance 1"`, for messages. */
	readonly name: string;
}

/** A running cluster. */
export interface ForwardAuthCluster {
	/** The instances, in order (instance 1 first). */
	readonly instances: readonly ListeningDeadbolt[];
	/** Every (proxy kind, instance) pair. */
	readonly routes: readonly ClusterRoute[];
	/** The route of `kind` in front of instance `instance` (1-based). */
	route(kind: ProxyKind, instance: number): ClusterRoute;
	/** Instance 1's store (the database every instance shares), e.g. to read mailed links. */
	readonly store: Store;
	/** `http.publicUrl` of every instance: deadbolt's site on the route nginx → instance 1. */
	readonly publicUrl: string;
	readonly upstream: EchoUpstream;
	close(): Promise<void>;
}

/** How many instances: two, as the issue asks. */
const INSTANCES = 2;

/**
 * Starts the cluster on the test PostgreSQL server (`DEADBOLT_TEST_DATABASE_URL`); the caller has
 * checked that it answers and that nginx and Caddy are installed (test/helpers/requirements.ts).
 */
export async function startForwardAuthCluster(options: ForwardAuthStackOptions = {}): Promise<ForwardAuthCluster> {
	const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-forward-auth-cluster-"));
	const schema = `deadbolt_fa_${randomBytes(6).toString("hex")}`;
	const ports = new Map<string, number>();
	for (const kind of PROXY_KINDS) for (let i = 1; i <= INSTANCES; i++) ports.set(`${kind} ${i}`, await freePort());
	const publicUrl = `http://${AUTH_HOST}:${ports.get("nginx 1")!}`;
	const config = forwardAuthConfig(dataDir, publicUrl, options);
	const instances: ListeningDeadbolt[] = [];
	const stores: Store[] = [];
	const routes: ClusterRoute[] = [];
	let upstream: EchoUpstream | null = null;
	const close = async (): Promise<void> => {
		await Promise.all(routes.map((route) => route.proxy.stop()));
		await upstream?.stop();
		for (const instance of instances) await instance.close();
		// A store opened for an instance that did not start.
		for (const store of stores.slice(instances.length)) await store.close();
		await withClient(TEST_DATABASE_URL, (client) => client.query(`drop schema if exists "${schema}" cascade`));
		rmSync(dataDir, { recursive: true, force: true });
	};
	try {
		// One after the other: the first creates the schema and runs the migrations.
		for (let i = 0; i < INSTANCES; i++) {
			const store = await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 5 });
			stores.push(store);
			instances.push(await listenDeadbolt(config, store));
		}
		upstream = await startEchoUpstream();
		for (const kind of PROXY_KINDS) {
			for (let i = 1; i <= INSTANCES; i++) {
				const proxy = await startProxy(kind, { deadbolt: instances[i - 1]!.address, upstream: upstream.address }, ports.get(`${kind} ${i}`));
				routes.push({ kind, instance: i, proxy, publicUrl, name: `${kind} → instance ${i}` });
			}
		}
	} catch (error) {
		await close();
		throw error;
	}
	return {
		instances,
		routes,
		route(kind, instance) {
			const found = routes.find((route) => route.kind === kind && route.instance === instance);
			if (found === undefined) throw new Error(`no route ${kind} → instance ${instance}`);
			return found;
		},
		store: stores[0]!,
		publicUrl,
		upstream: upstream!,
		close,
	};
}

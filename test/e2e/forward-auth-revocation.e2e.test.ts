/**
 * Instant revocation through real proxies and several instances (issue 12 item 7: "sign out
 * everywhere → next request refused through both proxies and both instances"). Two deadbolt
 * instances on one PostgreSQL schema, and nginx and Caddy, each from the docs' very file, in front
 * of each instance (test/helpers/forward-auth-cluster.ts): four routes to the same app.
 *
 * A browser signs in on instance 1 (through nginx); its forward-auth cookie passes every route.
 * The same person, on another device, signs in on instance 2 (JSON API) and signs out everywhere
 * there. The very next request with the kept cookie is refused on every route: an API client gets
 * 401, a browser is sent to the sign-in page, and the app is never reached. Nothing is cached
 * (every route was used just before, so a cache would be warm). The same after a plain sign-out of
 * one session on the other instance.
 *
 * Needs PostgreSQL, nginx and Caddy: skipped with one line without them, failing when `CI=true`.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { expectAnswer, PASSWORD, signUp, uniqueEmail, type SignedUp } from "../helpers/api-flows.js";
import { startForwardAuthCluster, type ClusterRoute, type ForwardAuthCluster } from "../helpers/forward-auth-cluster.js";
import { APP_HOST } from "../helpers/forward-auth-stack.js";
import { lastMailedToken } from "../helpers/mailed-links.js";
import { probePostgres, TEST_DATABASE_URL, unreachablePostgres } from "../helpers/postgres-databases.js";
import { identityHeadersOf, proxiedRequest, proxyUnmet, stopProxies, type ProxiedResponse } from "../helpers/proxies.js";
import { HTML_ACCEPT, ProxyBrowser } from "../helpers/proxy-browser.js";
import { describeWhen, type Unmet } from "../helpers/requirements.js";

const API_ACCEPT = ["Accept", "application/json"] as const;

async function unmet(): Promise<Unmet | null> {
	const unreachable = await probePostgres(TEST_DATABASE_URL);
	if (unreachable !== null) return unreachablePostgres(TEST_DATABASE_URL, unreachable);
	return proxyUnmet("nginx") ?? proxyUnmet("caddy");
}

/** A request to the app through `route` with a kept Cookie header, as an API client or as a browser. */
function appRequest(route: ClusterRoute, cookie: string, as: "api" | "browser", path: string): Promise<ProxiedResponse> {
	return proxiedRequest(route.proxy, APP_HOST, path, { headers: [as === "api" ? API_ACCEPT : ["Accept", HTML_ACCEPT], ["Cookie", cookie]] });
}

/** Fails unless the app was reached, as `email`. */
function expectReached(response: ProxiedResponse, email: string, what: string): void {
	expect(response.echoed, `${what}: the app should be reached; got ${response.status} ${response.body.slice(0, 300)}`).not.toBeNull();
	expect(identityHeadersOf(response.echoed!)["remote-user"], what).toEqual([email]);
}

/** Fails unless the request was refused as signed out: 401 for an API client, a redirect to the sign-in page for a browser. */
function expectSignedOut(response: ProxiedResponse, as: "api" | "browser", cluster: ForwardAuthCluster, route: ClusterRoute, what: string): void {
	expect(response.echoed, `${what}: the app must not be reached`).toBeNull();
	if (as === "api") {
		expect(response.status, what).toBe(401);
		expect(response.headers.location, what).toBeUndefined();
	} else {
		expect(response.status, what).toBe(302);
		const location = new URL(response.headers.location ?? "", "http://invalid.test");
		expect(`${location.origin}${location.pathname}`, what).toBe(`${cluster.publicUrl}/dashboard/sign-in`);
		expect(location.searchParams.get("rd"), what).toBe(`${route.proxy.origin(APP_HOST)}/after`);
	}
}

describeWhen("revocation through nginx and Caddy in front of two deadbolt instances on PostgreSQL", await unmet(), () => {
	let cluster: ForwardAuthCluster;
	beforeAll(async () => {
		cluster = await startForwardAuthCluster();
	});
	afterAll(async () => {
		await cluster?.close();
		await stopProxies();
	});

	/** A verified account (identity headers carry only verified addresses), signed up on instance 1. */
	async function verifiedAccount(label: string): Promise<SignedUp> {
		const api = cluster.instances[0]!.api;
		const account = await signUp(api, uniqueEmail(label));
		expectAnswer(await api.post("/api/v1/email/verify", { body: { token: await lastMailedToken(cluster.store, account.email, "email.verify") } }), 200);
		return account;
	}

	/** A browser signed in on instance 1 through nginx, whose cookie passes every route. @returns the Cookie header it sends the app */
	async function signedInBrowser(email: string): Promise<string> {
		const browser = new ProxyBrowser(cluster.route("nginx", 1));
		await browser.signIn(email, PASSWORD);
		const cookie = browser.cookieHeader(APP_HOST);
		expect(cookie).toContain("deadbolt_forward_auth=");
		for (const route of cluster.routes) {
			for (const as of ["api", "browser"] as const) expectReached(await appRequest(route, cookie, as, "/before"), email, `${route.name}, ${as}, before`);
		}
		return cookie;
	}

	/** A second session of the account, on instance 2 (another device, the JSON API). @returns its token */
	async function signInOnInstanceTwo(email: string): Promise<string> {
		const login = await cluster.instances[1]!.api.post("/api/v1/login", { body: { email, password: PASSWORD } });
		expectAnswer(login, 200);
		return login.body.session.token as string;
	}

	/** The very next request of each route, as an API client and as a browser, is refused. */
	async function expectRefusedEverywhere(cookie: string, what: string): Promise<void> {
		// Instance 2's routes first: the instance that ended the session; then instance 1's, where it was signed in.
		for (const route of [...cluster.routes].sort((x, y) => y.instance - x.instance)) {
			for (const as of ["api", "browser"] as const) expectSignedOut(await appRequest(route, cookie, as, "/after"), as, cluster, route, `${what}: ${route.name}, ${as}`);
		}
	}

	it("the routes are nginx and Caddy, each in front of each instance", () => {
		expect(cluster.routes.map((route) => route.name).sort()).toEqual(["caddy → instance 1", "caddy → instance 2", "nginx → instance 1", "nginx → instance 2"]);
		expect(new Set(cluster.routes.map((route) => route.proxy.port)).size).toBe(4);
	});

	it("sign out everywhere on instance 2 refuses the very next request through nginx and Caddy, to either instance", async () => {
		const account = await verifiedAccount("everywhere");
		const cookie = await signedInBrowser(account.email);
		const other = await signInOnInstanceTwo(account.email);
		const ended = await cluster.instances[1]!.api.post("/api/v1/sign-out-everywhere", { token: other });
		expectAnswer(ended, 200);
		// The sign-up session, the browser's and the other device's.
		expect(ended.body.sessionsRevoked).toBe(3);
		await expectRefusedEverywhere(cookie, "after sign out everywhere");
		// The browser's dashboard session on instance 1 ended too.
		const dashboard = await proxiedRequest(cluster.route("nginx", 1).proxy, "auth.example.test", "/dashboard", { headers: [["Accept", HTML_ACCEPT], ["Cookie", cookie]] });
		expect(dashboard.status).not.toBe(200);
	});

	it("revoking the browser's session from instance 2 (sessions page) refuses it at once everywhere, and only it", async () => {
		const account = await verifiedAccount("revoke-one");
		const cookie = await signedInBrowser(account.email);
		const other = await signInOnInstanceTwo(account.email);
		const api = cluster.instances[1]!.api;
		const listed = await api.get("/api/v1/sessions", { token: other });
		expectAnswer(listed, 200);
		const sessions = listed.body.sessions as { id: string; current: boolean; createdAt: string }[];
		// The browser's: the newest that is not this one nor the sign-up session.
		const browserSession = sessions.filter((session) => !session.current && session.id !== account.sessionId);
		expect(browserSession).toHaveLength(1);
		expectAnswer(await api.delete(`/api/v1/sessions/${browserSession[0]!.id}`, { token: other }), 204);
		await expectRefusedEverywhere(cookie, "after revoking the browser's session");
		// The session that revoked it still works on instance 1.
		expectAnswer(await cluster.instances[0]!.api.get("/api/v1/session", { token: other }), 200);
	});
});

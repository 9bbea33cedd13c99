/**
 * Paths people type (issue 10 item 8): `/login`, `/sign-up`, `/security`, ... redirect to their
 * fixed dashboard page; any other unknown path asked for as HTML (a browser) gets the "Page not
 * found" page with a way home; machines (no `text/html` in `Accept`, or a path under `/api`,
 * `/.well-known`, `/oidc`, `/metrics`) keep the JSON 404. No typed path ever reaches `Location`,
 * and the page shows nothing of it.
 */
import { describe, expect, it } from "vitest";
import { PATHS } from "../../src/dashboard/layout.js";
import { TYPED_PATHS } from "../../src/dashboard/typed-paths.js";
import { acceptsHTML, isMachinePath } from "../../src/http/plugins/not-found.js";
import { CONTENT_SECURITY_POLICY } from "../../src/http/plugins/security-headers.js";
import { PASSWORD } from "../helpers/flows.js";
import { appPerTest, BROWSER, cookieHeader, cookieJar, type TestApp } from "../helpers/http.js";

let t: TestApp;
appPerTest((app) => (t = app));

/** Chromium's Accept for a page. */
const CHROMIUM = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
/** Firefox's. */
const FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/** The dashboard's own paths, the only places a redirect may lead. */
const FIXED_TARGETS = new Set<string>([PATHS.home, PATHS.signIn, PATHS.signUp, PATHS.security, PATHS.securityTwoFactor, PATHS.password, PATHS.securitySessions, PATHS.securityActivity]);

function get(url: string, accept?: string, method: "GET" | "HEAD" | "POST" = "GET") {
	return t.app.inject({ method, url, headers: accept === undefined ? {} : { accept } });
}

function expectJSON404(res: Awaited<ReturnType<typeof get>>, what: string): void {
	expect(res.statusCode, what).toBe(404);
	expect(res.headers["content-type"], what).toBe("application/json; charset=utf-8");
	expect(res.json(), what).toMatchObject({ statusCode: 404, code: "ERR_NOT_FOUND", error: "Not Found" });
}

function expectHTML404(res: Awaited<ReturnType<typeof get>>, what: string): void {
	expect(res.statusCode, what).toBe(404);
	expect(res.headers["content-type"], what).toBe("text/html; charset=utf-8");
	expect(res.headers["content-security-policy"], what).toBe(CONTENT_SECURITY_POLICY);
	expect(res.headers["location"], what).toBeUndefined();
	expect(res.body, what).toContain('<h1 class="card__title" id="page-title">Page not found</h1>');
	expect(res.body, what).toContain(`<a class="button button--primary" href="${PATHS.home}">Go to your account</a>`);
}

describe("typed paths", () => {
	it("the usual ones lead to their page (302), for browsers and machines alike, with GET and HEAD", async () => {
		const expected: Record<string, string> = {
			"/login": PATHS.signIn,
			"/signin": PATHS.signIn,
			"/sign-in": PATHS.signIn,
			"/log-in": PATHS.signIn,
			"/signup": PATHS.signUp,
			"/sign-up": PATHS.signUp,
			"/register": PATHS.signUp,
			"/logout": PATHS.home,
			"/sign-out": PATHS.home,
			"/account": PATHS.home,
			"/security": PATHS.security,
			"/settings": PATHS.security,
			"/2fa": PATHS.securityTwoFactor,
			"/password": PATHS.password,
			"/sessions": PATHS.securitySessions,
			"/dashboard/login": PATHS.signIn,
			"/dashboard/signup": PATHS.signUp,
			"/dashboard/register": PATHS.signUp,
			"/dashboard/security": PATHS.security,
			"/dashboard/settings": PATHS.security,
			"/dashboard/account": PATHS.home,
		};
		for (const [path, target] of Object.entries(expected)) {
			for (const method of ["GET", "HEAD"] as const) {
				for (const accept of [CHROMIUM, undefined]) {
					const res = await get(path, accept, method);
					expect(res.statusCode, `${method} ${path} ${accept ?? "(no Accept)"}`).toBe(302);
					expect(res.headers["location"], `${method} ${path}`).toBe(target);
				}
			}
		}
		expect((await get("/")).headers["location"]).toBe(PATHS.home);
		// Sign-out is a POST with the form token; a GET (a link, an image) shows the question and signs no one out (test/http/app-return.test.ts).
		const signOut = await get("/dashboard/sign-out", CHROMIUM);
		expect(signOut.statusCode).toBe(200);
		expect(signOut.body).not.toContain("deadbolt_session=;");
		expect((await get("/.well-known/change-password")).headers["location"]).toBe(PATHS.password);
	});

	it("every entry of the table leads to one of the dashboard's fixed pages, and that page exists", async () => {
		for (const [path, target] of TYPED_PATHS) {
			// A real page at that path wins (e.g. /dashboard/sign-in): the table is only asked on a 404.
			if (t.app.hasRoute({ method: "GET", url: path })) continue;
			const res = await get(path, CHROMIUM);
			expect(res.statusCode, path).toBe(302);
			expect(FIXED_TARGETS.has(res.headers["location"] as string), path).toBe(true);
			expect(res.headers["location"]).toBe(target);
		}
		for (const target of FIXED_TARGETS) expect([200, 302], target).toContain((await get(target, CHROMIUM)).statusCode);
	});

	it("forgives a trailing slash, upper case and a query, but never carries the query along", async () => {
		for (const path of ["/login/", "/LOGIN", "/Sign-Up//", "/login?next=https://evil.example", "/login?next=//evil.example#x", "/dashboard/Login/"]) {
			const res = await get(path, CHROMIUM);
			expect(res.statusCode, path).toBe(302);
			expect(FIXED_TARGETS.has(res.headers["location"] as string), path).toBe(true);
		}
	});

	it("a POST to a typed path is not sent elsewhere: a 404 (HTML for a browser, JSON otherwise)", async () => {
		expectHTML404(await get("/login", CHROMIUM, "POST"), "POST /login as a browser");
		expectJSON404(await get("/login", "application/json", "POST"), "POST /login as a machine");
	});
});

describe("no open redirect", () => {
	it("a path that looks like another site is never a redirect: the 404 page for browsers, JSON for machines", async () => {
		const tricks = [
			"//evil.com",
			"//evil.com/",
			"//evil.com/login",
			"///evil.com",
			"/%2F%2Fevil.com",
			"/%2fevil.com",
			"/%5Cevil.com",
			"/%5C%5Cevil.com",
			"/https://evil.com",
			"/https:%2F%2Fevil.com",
			"/login/..%2F%2Fevil.com",
			"/%09/evil.com",
			"/login%2F%2Fevil.com",
			"/@evil.com",
			"/.evil.com",
		];
		for (const path of tricks) {
			const browser = await get(path, CHROMIUM);
			expect(browser.headers["location"], path).toBeUndefined();
			expectHTML404(browser, path);
			expect(browser.body, path).not.toContain("evil");
			const machine = await get(path);
			expect(machine.headers["location"], path).toBeUndefined();
			expectJSON404(machine, path);
		}
	});

	it("whatever the request, a Location header is one of the fixed dashboard paths", async () => {
		for (const path of ["/\\evil.com", "/\\\\evil.com/login", "//evil.com/%2e%2e/login", "/login/%2e%2e/%2e%2e//evil.com", "/./login", "/login;evil.com", "/login%00", "/login%0d%0aLocation:%20https://evil.com"]) {
			const res = await get(path, CHROMIUM);
			const location = res.headers["location"];
			if (location !== undefined) expect(FIXED_TARGETS.has(location as string), `${path} -> ${String(location)}`).toBe(true);
			else expect(res.statusCode, path).toBe(404);
		}
	});

	it("the 404 page shows nothing of the typed path", async () => {
		const res = await get(`/<script>alert(1)</script>"'&<img src=x onerror=alert(1)>`, CHROMIUM);
		expectHTML404(res, "markup in the path");
		expect(res.body).not.toContain("script>alert");
		expect(res.body).not.toContain("onerror");
		expect(res.body).not.toContain("%3Cscript");
		const encoded = await get("/%3Cscript%3Ealert(1)%3C%2Fscript%3E", CHROMIUM);
		expectHTML404(encoded, "encoded markup in the path");
		expect(encoded.body.toLowerCase()).not.toContain("alert(1)");
	});
});

describe("unknown paths: an HTML page for browsers, JSON for machines", () => {
	it("a browser (text/html in Accept) gets the page; HEAD gets its headers without a body", async () => {
		for (const accept of [CHROMIUM, FIREFOX, "text/html", "TEXT/HTML; q=0.5", "application/json, text/html;q=0.1"]) expectHTML404(await get("/nowhere", accept), accept);
		const head = await get("/nowhere", CHROMIUM, "HEAD");
		expect(head.statusCode).toBe(404);
		expect(head.headers["content-type"]).toBe("text/html; charset=utf-8");
		expect(head.body).toBe("");
	});

	it("a machine (no Accept, */*, JSON, or text/html refused with q=0) keeps the JSON 404 as before", async () => {
		for (const accept of [undefined, "*/*", "application/json", "text/*", "text/plain", "text/html;q=0", "application/xhtml+xml", "text/htmlx"]) {
			const res = await get("/nowhere?x=1", accept);
			expectJSON404(res, String(accept));
			expect(res.json().message).toBe("No route GET /nowhere.");
		}
		const head = await get("/nowhere", undefined, "HEAD");
		expect(head.statusCode).toBe(404);
		expect(head.headers["content-type"]).toBe("application/json; charset=utf-8");
	});

	it("the machines' prefixes keep JSON even for a browser, and are never redirected", async () => {
		for (const path of ["/api", "/api/", "/api/v1/nowhere", "/api/v1/login", "/API/v1/x", "/%61pi/v1/x", "//api/v1/x", "/.well-known/nowhere", "/.well-known/openid-configuration", "/oidc", "/oidc/auth", "/metrics", "/metrics/x", "/api/login", "/api/security"]) {
			for (const method of ["GET", "HEAD"] as const) {
				const res = await get(path, CHROMIUM, method);
				expect(res.statusCode, `${method} ${path}`).toBe(404);
				expect(res.headers["content-type"], `${method} ${path}`).toBe("application/json; charset=utf-8");
				expect(res.headers["location"], path).toBeUndefined();
			}
		}
		// A path that only starts with the same letters is not the machines'.
		expectHTML404(await get("/apidocs", CHROMIUM), "/apidocs");
		expectHTML404(await get("/metricsboard", CHROMIUM), "/metricsboard");
	});

	it("under /dashboard, an unknown path is the page whatever the Accept (as before), signed in with the account menu", async () => {
		expectHTML404(await get("/dashboard/nowhere", CHROMIUM), "browser");
		expectHTML404(await get("/dashboard/nowhere"), "no Accept");
		const jar = cookieJar(await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "lost@example.com", password: PASSWORD } }));
		for (const path of ["/dashboard/nowhere", "/nowhere"]) {
			const res = await t.app.inject({ method: "GET", url: path, headers: { accept: CHROMIUM, cookie: cookieHeader(jar) } });
			expectHTML404(res, `${path} signed in`);
			expect(res.body, path).toContain("lost@example.com");
			expect(res.body, path).toContain('action="/dashboard/sign-out"');
		}
	});
});

describe("the decision, unit by unit", () => {
	it("acceptsHTML: only a text/html range with a weight above 0", () => {
		expect(acceptsHTML(CHROMIUM)).toBe(true);
		expect(acceptsHTML("text/html;level=1;q=0.001")).toBe(true);
		expect(acceptsHTML(undefined)).toBe(false);
		expect(acceptsHTML("")).toBe(false);
		expect(acceptsHTML("*/*")).toBe(false);
		expect(acceptsHTML("text/html;q=0")).toBe(false);
		expect(acceptsHTML("text/html;q=0.0")).toBe(false);
	});

	it("isMachinePath: the four prefixes on a segment boundary, any case, encoded or with doubled slashes", () => {
		for (const path of ["/api", "/api/v1", "/.well-known/x", "/oidc/x", "/metrics", "/Api/x", "/%2Ewell-known/x", "//metrics", "/api?x", "/api#x"]) expect(isMachinePath(path), path).toBe(true);
		for (const path of ["/", "/apis", "/dashboard/api", "/x/api", "/oidcx", "/login"]) expect(isMachinePath(path), path).toBe(false);
	});
});

/**
 * Branding over HTTP (issue 10 item 10): the product name in every page title and the header, the
 * footer's text (escaped) and the "Get help" link, the logo and the accent stylesheet served from
 * deadbolt's own origin with the right content type, `nosniff` and (for the logo) a CSP of its own,
 * and the issuer of the authenticator's key URI defaulting to the product name.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LOGO_CONTENT_SECURITY_POLICY } from "../../src/dashboard/routes/brand-assets.js";
import { CONTENT_SECURITY_POLICY } from "../../src/http/plugins/security-headers.js";
import { PASSWORD } from "../helpers/flows.js";
import { bearer, BROWSER, cookieHeader, cookieJar, createTestApp, type TestApp } from "../helpers/http.js";

const dir = mkdtempSync(join(tmpdir(), "deadbolt-branding-http-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("not really the rest of a png")]);
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script><rect width="10" height="10" style="fill:#0b5fff"/></svg>';
writeFileSync(join(dir, "logo.png"), PNG);
writeFileSync(join(dir, "logo.svg"), SVG);

/** A browser's navigation Accept header (Chromium). */
const HTML = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8" };

/** Operator text with every character HTML cares about. */
const NAME = `Acme & "Co" <b>`;
const FOOTER = `<script>alert("x")</script> © Acme & Co's 'team'`;
const SUPPORT = "https://help.acme.example/2fa?from=deadbolt&lang=en";

let t: TestApp;
afterEach(async () => {
	await t.app.close();
	await t.deadbolt.close();
});

const BRANDED = { dataDir: dir, branding: { productName: NAME, logoFile: "logo.png", accentColor: "#0b5fff", supportUrl: SUPPORT, footerText: FOOTER } };

/** Signs up through the API as a browser would (cookies), and returns the cookie jar. */
async function signedIn(): Promise<Record<string, string>> {
	const created = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "brand@example.com", password: PASSWORD } });
	expect(created.statusCode).toBe(201);
	return cookieJar(created);
}

async function page(url: string, jar: Record<string, string> = {}): Promise<{ status: number; body: string }> {
	const res = await t.app.inject({ method: "GET", url, headers: { ...HTML, cookie: cookieHeader(jar) } });
	return { status: res.statusCode, body: res.body };
}

describe("the default look (no branding.*)", () => {
	it("deadbolt's name, the padlock, the default footer; no logo, no accent stylesheet, no help link", async () => {
		t = await createTestApp();
		const { status, body } = await page("/dashboard/sign-in");
		expect(status).toBe(200);
		expect(body).toContain("<title>Sign in · deadbolt</title>");
		expect(body).toContain('<span class="brand__name">deadbolt</span>');
		expect(body).toContain('<svg class="brand__mark"');
		expect(body).toContain("Secured by <strong>deadbolt</strong> · two-factor authentication with any authenticator app");
		expect(body).not.toContain("/dashboard/assets/logo");
		expect(body).not.toContain("/dashboard/assets/brand.css");
		expect(body).not.toContain("Get help");
		for (const asset of ["/dashboard/assets/logo", "/dashboard/assets/brand.css"]) {
			const res = await t.app.inject({ method: "GET", url: asset });
			expect(res.statusCode, asset).toBe(404);
			expect(res.headers["content-type"], asset).toBe("text/html; charset=utf-8");
		}
	});
});

describe("a branded dashboard", () => {
	it("every page carries the product name in its title and header, the footer text escaped and the help link", async () => {
		t = await createTestApp({ overrides: BRANDED });
		const jar = await signedIn();
		const escapedName = "Acme &amp; &quot;Co&quot; &lt;b&gt;";
		const pages = [
			["/dashboard/sign-in", "Sign in", 200, {}],
			["/dashboard/sign-up", "Create your account", 200, {}],
			["/dashboard", "Your account", 200, jar],
			["/dashboard/settings/security", "Security", 200, jar],
			["/dashboard/no-such-page", "Page not found", 404, jar],
			["/no-such-page", "Page not found", 404, {}],
		] as const;
		for (const [url, title, status, cookies] of pages) {
			const { status: got, body } = await page(url, cookies);
			expect(got, url).toBe(status);
			expect(body, url).toContain(`<title>${title} · ${escapedName}</title>`);
			expect(body, url).toContain(`<span class="brand__name">${escapedName}</span>`);
			expect(body, url).toContain('<img class="brand__logo" src="/dashboard/assets/logo" alt="" height="28">');
			expect(body, url).not.toContain('<svg class="brand__mark"');
			expect(body, url).toContain('<link rel="stylesheet" href="/dashboard/assets/dashboard.css">\n<link rel="stylesheet" href="/dashboard/assets/brand.css">');
			// The footer: the operator's text, escaped, never markup; and the help link, its & escaped.
			expect(body, url).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; © Acme &amp; Co&#39;s &#39;team&#39;");
			expect(body, url).not.toContain("<script>alert");
			expect(body, url).not.toContain("Secured by");
			expect(body, url).toContain('<a class="site-footer__help" href="https://help.acme.example/2fa?from=deadbolt&amp;lang=en">Get help</a>');
			// Operator text appears nowhere unescaped.
			expect(body, url).not.toContain(NAME);
		}
		// The sign-in card names the product and offers help under it; error pages offer it as a button.
		const signIn = (await page("/dashboard/sign-in")).body;
		expect(signIn).toContain(`Sign in to ${escapedName}`);
		expect(signIn).toContain('<p class="auth-help">Trouble signing in? <a class="support-link" href="https://help.acme.example/2fa?from=deadbolt&amp;lang=en">Get help</a></p>');
		expect((await page("/dashboard/sign-up")).body).toContain(`Get started with ${escapedName}.`);
		for (const url of ["/dashboard/no-such-page", "/no-such-page"]) {
			expect((await page(url)).body, url).toContain('<a class="button button--secondary" href="https://help.acme.example/2fa?from=deadbolt&amp;lang=en">Get help</a>');
		}
	});

	it("serves the logo from its own origin with its content type, nosniff, its own CSP and a short cache; HEAD too", async () => {
		t = await createTestApp({ overrides: BRANDED });
		const res = await t.app.inject({ method: "GET", url: "/dashboard/assets/logo" });
		expect(res.statusCode).toBe(200);
		expect(res.headers["content-type"]).toBe("image/png");
		expect(res.headers["x-content-type-options"]).toBe("nosniff");
		expect(res.headers["content-security-policy"]).toBe(LOGO_CONTENT_SECURITY_POLICY);
		expect(res.headers["cross-origin-resource-policy"]).toBe("same-origin");
		expect(res.headers["cache-control"]).toBe("public, max-age=300");
		expect(res.rawPayload.equals(PNG)).toBe(true);
		const head = await t.app.inject({ method: "HEAD", url: "/dashboard/assets/logo" });
		expect(head.statusCode).toBe(200);
		expect(head.headers["content-type"]).toBe("image/png");
		expect(head.body).toBe("");
		// The pages keep theirs.
		expect((await t.app.inject({ method: "GET", url: "/dashboard/sign-in" })).headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
	});

	it("serves an SVG logo as image/svg+xml under a CSP that runs no script and loads nothing, even opened directly", async () => {
		t = await createTestApp({ overrides: { ...BRANDED, branding: { ...BRANDED.branding, logoFile: join(dir, "logo.svg") } } });
		const res = await t.app.inject({ method: "GET", url: "/dashboard/assets/logo", headers: HTML });
		expect(res.statusCode).toBe(200);
		expect(res.headers["content-type"]).toBe("image/svg+xml");
		expect(res.headers["x-content-type-options"]).toBe("nosniff");
		const csp = String(res.headers["content-security-policy"]);
		expect(csp.split("; ")).toEqual(expect.arrayContaining(["default-src 'none'", "sandbox"]));
		expect(csp).not.toContain("script-src");
		expect(res.body).toBe(SVG);
	});

	it("serves the accent stylesheet: dashboard.css's custom properties for both schemes, as checked at start", async () => {
		t = await createTestApp({ overrides: BRANDED });
		const res = await t.app.inject({ method: "GET", url: "/dashboard/assets/brand.css" });
		expect(res.statusCode).toBe(200);
		expect(res.headers["content-type"]).toBe("text/css; charset=utf-8");
		expect(res.headers["x-content-type-options"]).toBe("nosniff");
		const palette = t.deadbolt.branding.palette!;
		const [light, dark] = res.body.split("@media (prefers-color-scheme: dark)") as [string, string];
		expect(light).toContain("--primary: #0b5fff;");
		expect(light).toContain("--primary-text: #ffffff;");
		expect(dark).toContain(`--primary: ${palette.dark.primary};`);
		expect(dark).toContain("--primary-text: #0f131c;");
		for (const [name, value] of Object.entries(palette.light)) expect(light, name).toContain(`: ${value};`);
	});

	it("the authenticator's issuer is the product name unless issuer is set; the pages still show the product name", async () => {
		const issuerOf = async (): Promise<{ issuer: string | null; label: string }> => {
			const token = (await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "issuer@example.com", password: PASSWORD } })).json().session.token as string;
			const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(token), payload: { password: PASSWORD } });
			expect(begin.statusCode).toBe(201);
			const uri = new URL(begin.json().keyUri as string);
			return { issuer: uri.searchParams.get("issuer"), label: decodeURIComponent(uri.pathname.slice(1)) };
		};
		t = await createTestApp({ overrides: { branding: { productName: "Acme Accounts" } } });
		expect(await issuerOf()).toEqual({ issuer: "Acme Accounts", label: "Acme Accounts:issuer@example.com" });
		await t.app.close();
		await t.deadbolt.close();
		t = await createTestApp({ overrides: { issuer: "Acme", branding: { productName: "Acme Accounts" } } });
		expect(await issuerOf()).toEqual({ issuer: "Acme", label: "Acme:issuer@example.com" });
		expect((await page("/dashboard/sign-in")).body).toContain("<title>Sign in · Acme Accounts</title>");
	});
});

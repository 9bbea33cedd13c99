/**
 * A browser without a screen for the forward-auth tests: HTTP requests through a proxy
 * ({@link proxiedRequest}) with `Accept: text/html` and a cookie jar that keeps each cookie's
 * domain as a browser does (RFC 6265 §5.3: a cookie without `Domain` goes back to its host only;
 * one with `Domain=example.test` to every host below it), so the protected app is sent exactly the
 * cookies a browser would send it. Plus the dashboard's sign-in and sign-out forms, filled in as a
 * person would (CSRF field from the page, `Origin` of deadbolt's public URL).
 */
import { expect } from "vitest";
import { APP_HOST, AUTH_HOST, type ForwardAuthStack } from "./forward-auth-stack.js";
import { proxiedRequest, type ProxiedRequestOptions, type ProxiedResponse } from "./proxies.js";

/** What Chromium sends as `Accept` for a page. */
export const HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

interface StoredCookie {
	readonly name: string;
	readonly value: string;
	/** The `Domain` attribute (lower case, no leading dot), or null: host-only. */
	readonly domain: string | null;
	/** The host that set it. */
	readonly host: string;
}

/** What a browser goes through: a proxy, and deadbolt's public URL behind it (the `Origin` of its forms). */
export type BrowserRoute = Pick<ForwardAuthStack, "proxy" | "publicUrl">;

/** A cookie jar and the requests of one browser through one stack's proxy. */
export class ProxyBrowser {
	private readonly cookies: StoredCookie[] = [];
	private readonly stack: BrowserRoute;

	constructor(stack: BrowserRoute) {
		this.stack = stack;
	}

	/** The `Cookie` header this browser sends to `host` ("" when none). */
	cookieHeader(host: string): string {
		return this.cookies
			.filter((cookie) => (cookie.domain === null ? cookie.host === host : host === cookie.domain || host.endsWith(`.${cookie.domain}`)))
			.map((cookie) => `${cookie.name}=${cookie.value}`)
			.join("; ");
	}

	/** The cookie `name` as stored (any domain), or undefined. */
	cookie(name: string): { readonly value: string; readonly domain: string | null } | undefined {
		return this.cookies.find((cookie) => cookie.name === name);
	}

	/** A request as a browser's navigation: `Accept: text/html`, its cookies; keeps what it sets. */
	async request(host: string, path: string, options: ProxiedRequestOptions = {}): Promise<ProxiedResponse> {
		const cookie = this.cookieHeader(host);
		const headers: [string, string][] = [["Accept", HTML_ACCEPT], ...(cookie === "" ? [] : [["Cookie", cookie] as [string, string]]), ...(options.headers ?? []).map(([name, value]): [string, string] => [name, value])];
		const response = await proxiedRequest(this.stack.proxy, host, path, { ...options, headers });
		this.store(host, response);
		return response;
	}

	/** A GET of the protected app. */
	open(path: string, options: ProxiedRequestOptions = {}): Promise<ProxiedResponse> {
		return this.request(APP_HOST, path, options);
	}

	/**
	 * Signs in on deadbolt's dashboard through the proxy: the password form, then the code form when
	 * `code` is given (it must then be asked for).
	 * @returns the answer of the last form (303 on success)
	 */
	async signIn(email: string, password: string, code?: () => string): Promise<ProxiedResponse> {
		const form = await this.request(AUTH_HOST, "/dashboard/sign-in");
		expect(form.status, form.body.slice(0, 300)).toBe(200);
		const answer = await this.postForm("/dashboard/sign-in", { csrf: csrfOf(form.body), email, password });
		expect(answer.status, answer.body.slice(0, 300)).toBe(303);
		if (code === undefined) return answer;
		expect(answer.headers.location).toMatch(/\/dashboard\/sign-in\/code$/);
		const codeForm = await this.request(AUTH_HOST, "/dashboard/sign-in/code");
		expect(codeForm.status, codeForm.body.slice(0, 300)).toBe(200);
		const done = await this.postForm("/dashboard/sign-in/code", { csrf: csrfOf(codeForm.body), code: code() });
		expect(done.status, done.body.slice(0, 300)).toBe(303);
		return done;
	}

	/** Signs out with the dashboard's Sign out form (from the dashboard's home page). */
	async signOut(): Promise<ProxiedResponse> {
		const home = await this.request(AUTH_HOST, "/dashboard");
		expect(home.status, home.body.slice(0, 300)).toBe(200);
		const answer = await this.postForm("/dashboard/sign-out", { csrf: csrfOf(home.body) });
		expect(answer.status, answer.body.slice(0, 300)).toBe(303);
		return answer;
	}

	/**
	 * Signs out through the link an app shows, `/dashboard/sign-out?rd=<back to the app>`: the
	 * confirmation page, then its Sign out form.
	 * @returns the form's answer (303, to `rd` when deadbolt accepts it)
	 */
	async signOutFromApp(rd: string): Promise<ProxiedResponse> {
		const confirm = await this.request(AUTH_HOST, `/dashboard/sign-out?rd=${encodeURIComponent(rd)}`);
		expect(confirm.status, confirm.body.slice(0, 300)).toBe(200);
		const answer = await this.postForm("/dashboard/sign-out", { csrf: csrfOf(confirm.body) });
		expect(answer.status, answer.body.slice(0, 300)).toBe(303);
		return answer;
	}

	/** POSTs a dashboard form on deadbolt's host, with the `Origin` a browser sends. */
	postForm(path: string, fields: Readonly<Record<string, string>>): Promise<ProxiedResponse> {
		return this.request(AUTH_HOST, path, { method: "POST", form: fields, headers: [["Origin", this.stack.publicUrl]] });
	}

	private store(host: string, response: ProxiedResponse): void {
		for (const line of response.headers["set-cookie"] ?? []) {
			const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
			const equals = pair.indexOf("=");
			if (equals <= 0) continue;
			const name = pair.slice(0, equals);
			const value = pair.slice(equals + 1);
			let domain: string | null = null;
			let expired = value === "";
			for (const attribute of attributes) {
				const [key = "", attributeValue = ""] = attribute.split("=", 2);
				if (/^domain$/i.test(key)) domain = attributeValue.replace(/^\./, "").toLowerCase();
				if (/^max-age$/i.test(key) && Number(attributeValue) <= 0) expired = true;
				if (/^expires$/i.test(key) && Date.parse(attributeValue) < Date.now()) expired = true;
			}
			const index = this.cookies.findIndex((cookie) => cookie.name === name && cookie.domain === domain && (domain !== null || cookie.host === host));
			if (index >= 0) this.cookies.splice(index, 1);
			if (!expired) this.cookies.push({ name, value, domain, host });
		}
	}
}

/** The CSRF field of the first form of a dashboard page. */
export function csrfOf(html: string): string {
	const match = /name="csrf" value="([^"]+)"/.exec(html);
	if (match === null) throw new Error(`no CSRF field in the page: ${html.slice(0, 300)}`);
	return match[1] as string;
}

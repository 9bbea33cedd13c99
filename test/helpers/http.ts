/** HTTP test helpers: an app over a test deadbolt, and cookie handling for `app.inject`. */
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach } from "vitest";
import { buildApp } from "../../src/app.js";
import { createTestDeadbolt, type TestDeadbolt } from "./deadbolt.js";
import { checkEveryAnswer } from "./openapi.js";

/** A test deadbolt with its HTTP app. */
export interface TestApp extends TestDeadbolt {
	readonly app: FastifyInstance;
}

/**
 * Builds an app over a fresh test deadbolt. Every `app.inject` of it checks its answer against the
 * app's OpenAPI document (`helpers/openapi.ts`): an answer of the JSON API that the document does
 * not describe fails the test.
 */
export async function createTestApp(options: Parameters<typeof createTestDeadbolt>[0] = {}): Promise<TestApp> {
	const t = await createTestDeadbolt(options);
	const app = await buildApp(t.deadbolt);
	await app.ready();
	checkEveryAnswer(app);
	return { ...t, app };
}

/**
 * Gives each test of the calling file a fresh app, handed to `use` before the test and closed
 * after it: `let t: TestApp; appPerTest((app) => (t = app));`.
 */
export function appPerTest(use: (app: TestApp) => void, options: Parameters<typeof createTestDeadbolt>[0] = {}): void {
	let current: TestApp | null = null;
	beforeEach(async () => {
		current = await createTestApp(options);
		use(current);
	});
	afterEach(async () => {
		await current?.app.close();
		await current?.deadbolt.close();
		current = null;
	});
}

/** Headers a same-origin browser page sends with fetch (inject's Host is `localhost:80`). */
export const BROWSER = Object.freeze({ origin: "http://localhost:80", "sec-fetch-site": "same-origin" });

/** The `name=value` pairs of a response's Set-Cookie headers, for sending back. */
export function cookieJar(response: LightMyRequestResponse, jar: Record<string, string> = {}): Record<string, string> {
	for (const cookie of response.cookies) {
		if (cookie.value === "" || (cookie.maxAge !== undefined && cookie.maxAge <= 0) || (cookie.expires !== undefined && cookie.expires.getTime() < Date.now())) delete jar[cookie.name];
		else jar[cookie.name] = cookie.value;
	}
	return jar;
}

/** `Authorization: Bearer <token>`, as an API client sends its session token. */
export function bearer(token: string): { authorization: string } {
	return { authorization: `Bearer ${token}` };
}

/** A `Cookie` header value from a jar (see {@link cookieJar}). */
export function cookieHeader(jar: Record<string, string>): string {
	return Object.entries(jar).map(([name, value]) => `${name}=${value}`).join("; ");
}

/**
 * A browser of the dashboard's forms in `t`, with its cookies in a jar the caller keeps: `page`
 * GETs, `post` sends a form with the jar's CSRF token from `origin`; both keep the cookies set.
 */
export function formBrowser(t: () => TestApp, origin: string) {
	return {
		async page(url: string, jar: Record<string, string>) {
			const response = await t().app.inject({ method: "GET", url, headers: { cookie: cookieHeader(jar) } });
			cookieJar(response, jar);
			return response;
		},
		async post(url: string, jar: Record<string, string>, form: Record<string, unknown>) {
			const response = await t().app.inject({ method: "POST", url, headers: { origin, cookie: cookieHeader(jar) }, payload: { csrf: jar["deadbolt_csrf"] ?? "", ...form } });
			cookieJar(response, jar);
			return response;
		},
	};
}

/**
 * The API docs page (`/api/v1/docs`, issue 14 item 5) in Chromium: Swagger UI renders every
 * operation of the OpenAPI document under the page's Content-Security-Policy with no console
 * error, no CSP violation and no request to another origin; opening an operation works. (Without
 * the page's one relaxation, `style-src 'unsafe-inline'`, Chromium reports a blocked inline style.)
 */
import type { Browser } from "playwright-core";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { launchChromium } from "../helpers/chromium.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";

describe("the API docs page, in Chromium", () => {
	let t: TestDeadbolt;
	let app: FastifyInstance;
	let browser: Browser;
	let origin: string;

	beforeAll(async () => {
		t = await createTestDeadbolt();
		app = await buildApp(t.deadbolt);
		await app.listen({ host: "127.0.0.1", port: 0 });
		const address = app.server.address();
		origin = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
		browser = await launchChromium();
	});

	afterAll(async () => {
		await browser?.close();
		await app?.close();
		await t?.deadbolt.close();
	});

	it("shows every operation of the document, with no console error, CSP violation or foreign request", async () => {
		const page = await browser.newPage();
		const problems: string[] = [];
		page.on("console", (message) => {
			if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
		});
		page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
		page.on("request", (request) => {
			if (!request.url().startsWith(origin) && !request.url().startsWith("data:")) problems.push(`request to ${request.url()}`);
		});
		await page.goto(`${origin}/api/v1/docs`);
		const documented = await (await fetch(`${origin}/api/v1/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
		const operations = Object.values(documented.paths).reduce((sum, item) => sum + Object.keys(item).length, 0);
		await page.locator(".opblock").nth(operations - 1).waitFor({ state: "attached" });
		expect(await page.locator(".opblock").count()).toBe(operations);
		await page.locator(".opblock-summary", { hasText: "/api/v1/login/totp" }).first().click();
		await page.locator(".opblock.is-open .responses-table").first().waitFor();
		expect(await page.locator(".opblock.is-open .response-col_status", { hasText: "429" }).count()).toBeGreaterThan(0);
		expect(problems).toEqual([]);
		await page.close();
	});
});

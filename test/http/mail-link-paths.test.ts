/**
 * Every path a mail links to (`EMAIL_LINK_PATHS`, the one table the mail templates use) is a page
 * the dashboard serves: a renamed route cannot leave mails pointing at a 404. A path behind sign-in
 * answers a redirect to the sign-in page, which is fine for a mailed link.
 */
import { describe, expect, it } from "vitest";
import { EMAIL_LINK_PATHS } from "../../src/service/email-links.js";
import { appPerTest, type TestApp } from "../helpers/http.js";

const HTML = { accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8" };

describe("mailed link paths", () => {
	let t: TestApp;
	appPerTest((app) => (t = app));

	it("each opens a dashboard page (200, or a redirect to sign in), with a token or without", async () => {
		for (const [name, path] of Object.entries(EMAIL_LINK_PATHS)) {
			for (const url of [path, `${path}?token=unknown.token`]) {
				const response = await t.app.inject({ method: "GET", url, headers: HTML });
				expect([200, 303, 302, 401], `${name}: GET ${url} answered ${response.statusCode}`).toContain(response.statusCode);
				expect(response.headers["content-type"] ?? "", name).toMatch(/text\/html|^$/);
			}
		}
	});
});

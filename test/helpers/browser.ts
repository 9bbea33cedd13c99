/**
 * What every browser test shares: deadbolt in-process on a random loopback port (SQLite in a
 * temporary directory, a clock the test can move forward), Chromium driven by playwright-core
 * (test/helpers/chromium.ts), pages that record every console error, script error and failed
 * request, and the checks each page must pass: axe-core with no violations in the light and the
 * dark colour scheme, and no sideways scrolling at a phone's width (390 px) and at 320 px.
 *
 * axe-core is evaluated through the DevTools protocol (`page.evaluate`), which the page's CSP
 * (`script-src 'self'`) does not govern, so the CSP stays on while it runs.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { expect } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt, type Deadbolt } from "../../src/deadbolt.js";
import { launchChromium } from "./chromium.js";


/** The longest one browser action or navigation may take before it fails, in milliseconds. */
const BROWSER_STEP_TIMEOUT_MS = 60_000;
/** A desktop window. */
export const DESKTOP = { width: 1280, height: 900 } as const;
/** A common phone (iPhone 12 to 15). */
export const PHONE = { width: 390, height: 844 } as const;
/** The narrowest phones still in use (iPhone SE 1st generation), and a zoomed-in desktop. */
export const NARROW = { width: 320, height: 640 } as const;
/** Safari on an iPhone. */
export const PHONE_USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** A deadbolt server and a browser for one test file. */
export interface BrowserHarness {
	readonly baseURL: string;
	readonly deadbolt: Deadbolt;
	readonly app: FastifyInstance;
	readonly browser: Browser;
	/** The server's clock, in Unix milliseconds (the real clock plus {@link BrowserHarness.advance}). */
	now(): number;
	/** Moves the server's clock forward (the test's own clock is untouched). */
	advance(milliseconds: number): void;
	/** A new browser context (another device) with one watched page. */
	newPage(options?: PageOptions): Promise<WatchedPage>;
	close(): Promise<void>;
}

/** How a new page's browser is set up. */
export interface PageOptions {
	readonly viewport?: { readonly width: number; readonly height: number };
	readonly userAgent?: string;
	readonly colorScheme?: "light" | "dark";
	/** false: a browser with JavaScript turned off (the page's own script does not run; the checks still do). Default true. */
	readonly javaScriptEnabled?: boolean;
}

/** A page whose problems are recorded, with the checks every page must pass. */
export interface WatchedPage {
	readonly page: Page;
	readonly context: BrowserContext;
	/** Console errors, script errors and failed requests so far (a refused form's own 4xx excepted). */
	readonly problems: string[];
	/** Clicks (or presses Enter on) something that loads the next page, and waits for it. */
	clickAndLoad(target: Locator, how?: "click" | "enter"): Promise<void>;
	/** The path and query of the page shown. */
	path(): string;
	/**
	 * The checks of every page and state: axe-core finds no violation in light and dark mode, the
	 * page (and its open dialog) needs no sideways scrolling at 390 and 320 px, the favicon is the
	 * dashboard's, and nothing went wrong in the console. Restores the viewport and scheme after.
	 */
	expectGood(what: string): Promise<void>;
}

/**
 * Starts deadbolt (SQLite in a temporary data dir, logs silent, the per-IP limit raised: a test
 * browser makes many requests a minute), its outbox dispatcher, and Chromium. It listens on
 * `http.port` of the overrides (default: any free port).
 * @param overrides - config overrides on top of those
 */
export async function startBrowserHarness(overrides: Record<string, unknown> = {}): Promise<BrowserHarness> {
	const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-browser-"));
	let offsetMillis = 0;
	const now = (): number => Date.now() + offsetMillis;
	const config = loadConfig({ overrides: { dataDir, http: { port: 0 }, log: { level: "silent" }, rateLimit: { perMinute: 10_000 }, ...overrides } });
	const deadbolt = await createDeadbolt(config, { clock: { now } });
	// As `serve` does: the outbox's dispatcher sends the mails (`.eml` files in the data dir unless
	// the overrides name an SMTP server); `deadbolt.close()` stops it.
	deadbolt.createDispatcher().start();
	const app = await buildApp(deadbolt);
	await app.listen({ host: "127.0.0.1", port: config.http.port });
	const address = app.server.address();
	if (address === null || typeof address === "string") throw new Error("server has no TCP address");
	const baseURL = `http://127.0.0.1:${address.port}`;
	const browser = await launchChromium();
	return {
		baseURL,
		deadbolt,
		app,
		browser,
		now,
		advance(milliseconds) {
			offsetMillis += milliseconds;
		},
		newPage: (options = {}) => watchedPage(browser, baseURL, options),
		async close() {
			await browser.close();
			await app.close();
			await deadbolt.close();
			rmSync(dataDir, { recursive: true, force: true });
		},
	};
}

/**
 * A new browser context (another device) of `browser` with one watched page whose relative URLs
 * go to `baseURL` (the harness's {@link BrowserHarness.newPage}; also for a deadbolt started
 * otherwise, e.g. as an OpenID Connect provider).
 */
export async function watchedPage(browser: Browser, baseURL: string, options: PageOptions = {}): Promise<WatchedPage> {
	const viewport = options.viewport ?? DESKTOP;
	const colorScheme = options.colorScheme ?? "light";
	const context = await browser.newContext({ baseURL, viewport, colorScheme, reducedMotion: "reduce", locale: "en-US", javaScriptEnabled: options.javaScriptEnabled ?? true, ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent }) });
	await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
	const page = await context.newPage();
	// Playwright's default of 30 s per action and navigation is too short on a 2-core CI machine
	// running the other suites at the same time (a sign-out once took longer); the e2e project's
	// test timeout (120 s, vitest.config.ts) still bounds a test.
	page.setDefaultTimeout(BROWSER_STEP_TIMEOUT_MS);
	page.setDefaultNavigationTimeout(BROWSER_STEP_TIMEOUT_MS);
	const problems: string[] = [];
	/** The status of each page (main-frame document) loaded, by URL. */
	const documentStatus = new Map<string, number>();
	page.on("response", (response) => {
		if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) documentStatus.set(response.url(), response.status());
		else if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
	});
	page.on("requestfailed", (request) => {
		const reason = request.failure()?.errorText ?? "failed";
		// Cancelled because the test moved on to the next page: not a failure of the page.
		if (reason !== "net::ERR_ABORTED") problems.push(`${reason} ${request.url()}`);
	});
	page.on("console", (message) => {
		if (message.type() !== "error") return;
		// A refused form answers 4xx with the form and its error, on purpose; Chromium logs that
		// status of the page itself as "Failed to load resource". Only that is allowed.
		const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text());
		if (status !== null && documentStatus.get(message.location().url.split("#")[0] ?? "") === Number(status[1])) return;
		problems.push(`console: ${message.location().url}: ${message.text()}`);
	});
	page.on("pageerror", (error) => problems.push(`script: ${error.message}`));
	return {
		page,
		context,
		problems,
		async clickAndLoad(target, how = "click") {
			await Promise.all([page.waitForNavigation({ waitUntil: "load" }), how === "click" ? target.click() : target.press("Enter")]);
		},
		path() {
			const url = new URL(page.url());
			return url.pathname + url.search;
		},
		async expectGood(what) {
			await page.waitForLoadState("networkidle");
			expect(await page.locator("head link[rel='icon']").getAttribute("href"), `${what}: the favicon link`).toBe("/dashboard/assets/favicon.svg");
			for (const scheme of ["light", "dark"] as const) {
				await page.emulateMedia({ colorScheme: scheme });
				expect(await axeViolations(page, { scriptsDisabled: options.javaScriptEnabled === false }), `${what}: axe-core in ${scheme} mode`).toEqual([]);
			}
			await page.emulateMedia({ colorScheme });
			for (const size of [PHONE, NARROW]) {
				await page.setViewportSize(size);
				const widths = await page.evaluate<{ page: [number, number]; dialog: [number, number] | null }>(`(() => {
					const root = document.documentElement;
					const dialog = document.querySelector("dialog[open]");
					return { page: [root.scrollWidth, root.clientWidth], dialog: dialog === null ? null : [dialog.scrollWidth, dialog.clientWidth] };
				})()`);
				expect(widths.page[0], `${what}: the page scrolls sideways at ${size.width} px`).toBeLessThanOrEqual(widths.page[1]);
				if (widths.dialog !== null) expect(widths.dialog[0], `${what}: the dialog scrolls sideways at ${size.width} px`).toBeLessThanOrEqual(widths.dialog[1]);
			}
			await page.setViewportSize(viewport);
			expect(problems, `${what}: console errors, script errors or failed requests`).toEqual([]);
		},
	};
}

/**
 * In a page whose scripts are disabled (`javaScriptEnabled: false`), the DevTools protocol still
 * evaluates code, but no timer callback ever runs, and axe-core waits on timers: they run as
 * microtasks instead, without the delay (the page's own script never ran, so only axe uses them).
 */
const IMMEDIATE_TIMERS = `(() => {
	window.setTimeout = (callback, _delay, ...args) => { Promise.resolve().then(() => callback(...args)); return 0; };
	window.clearTimeout = () => {};
})()`;

/**
 * axe-core's violations on the page as it is (every rule but the experimental ones: WCAG 2.x A
 * and AA, and axe's best practices), one line each: rule, impact, and the first elements.
 * @param options.scriptsDisabled - the page's JavaScript is off: timers made immediate (see
 *   {@link IMMEDIATE_TIMERS}) and no preloading of the stylesheets' CSSOM (its requests would never
 *   call back; only the rules on CSS orientation lock and autoplaying media use it)
 */
export async function axeViolations(page: Page, options: { readonly scriptsDisabled?: boolean } = {}): Promise<string[]> {
	const scriptsDisabled = options.scriptsDisabled === true;
	const hasAxe = await page.evaluate<boolean>("typeof window.axe === 'object'");
	if (!hasAxe) {
		if (scriptsDisabled) await page.evaluate(IMMEDIATE_TIMERS);
		await page.evaluate(AXE_SOURCE);
	}
	return page.evaluate<string[]>(`(async () => {
		const result = await window.axe.run(document, { resultTypes: ["violations"]${scriptsDisabled ? ", preload: false" : ""} });
		return result.violations.map((v) => v.id + " (" + v.impact + "): " + v.help + " @ " + v.nodes.slice(0, 3).map((n) => n.target.join(" ") + (n.failureSummary ? " [" + n.failureSummary.replace(/\\s+/g, " ").slice(0, 200) + "]" : "")).join(" | "));
	})()`);
}

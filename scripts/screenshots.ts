/**
 * The README's screenshots: deadbolt's default look and a branded one (`branding.*`), each as
 * the sign-in page and the Security page, saved as PNGs (1000 px wide) in `docs/screenshots/`.
 *
 *     npx tsx scripts/screenshots.ts
 *
 * For each look, deadbolt runs in this process on a random loopback port with SQLite in a
 * temporary data directory (as the browser tests do); Chromium (test/helpers/chromium.ts) opens the
 * sign-in page, signs up through the dashboard's own form, and opens Settings > Security. Nothing
 * is left behind but the PNGs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { buildApp } from "../src/app.js";
import { loadConfig } from "../src/config/load.js";
import { PATHS } from "../src/dashboard/layout.js";
import { createDeadbolt } from "../src/deadbolt.js";
import { launchChromium } from "../test/helpers/chromium.js";

/** Where the PNGs go. */
const OUTPUT_DIR = fileURLToPath(new URL("../docs/screenshots/", import.meta.url));
/** The window: 1000 px wide, at one device pixel per CSS pixel (small files). */
const VIEWPORT = { width: 1000, height: 760 } as const;
/** The Security page is shot down to this height at most (its first screens). */
const MAX_PAGE_HEIGHT = 1400;

/** The branded look's logo: a rounded square with a ring, in the accent colour. */
const ACME_LOGO = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
<rect width="64" height="64" rx="16" fill="#0a7c5a"/>
<circle cx="32" cy="32" r="15" fill="none" stroke="#ffffff" stroke-width="7"/>
<circle cx="32" cy="32" r="4" fill="#ffffff"/>
</svg>
`;

/** One look: its name (file prefix) and its config overrides. */
interface Look {
	readonly name: string;
	readonly overrides: (dataDir: string) => Record<string, unknown>;
}

const LOOKS: readonly Look[] = [
	{ name: "default", overrides: () => ({}) },
	{
		name: "branded",
		overrides: (dataDir) => {
			writeFileSync(join(dataDir, "acme-logo.svg"), ACME_LOGO);
			return {
				branding: {
					productName: "Acme Accounts",
					logoFile: "acme-logo.svg",
					accentColor: "#0a7c5a",
					supportUrl: "https://help.acme.example/2fa",
					footerText: "© Acme Inc. · Your account, protected by two-factor authentication",
				},
			};
		},
	},
];

/** Waits until the page and everything it loads (logo, stylesheets) are done. */
async function settled(page: Page): Promise<void> {
	await page.waitForLoadState("networkidle");
	await page.evaluate("document.fonts.ready");
}

async function shoot(browser: Browser, look: Look): Promise<string[]> {
	const dataDir = mkdtempSync(join(tmpdir(), `deadbolt-screenshots-${look.name}-`));
	const config = loadConfig({ overrides: { dataDir, http: { port: 0 }, log: { level: "silent" }, ...look.overrides(dataDir) } });
	const deadbolt = await createDeadbolt(config);
	const app = await buildApp(deadbolt);
	const written: string[] = [];
	try {
		await app.listen({ host: "127.0.0.1", port: 0 });
		const address = app.server.address();
		if (address === null || typeof address === "string") throw new Error("server has no TCP address");
		const context = await browser.newContext({ baseURL: `http://127.0.0.1:${address.port}`, viewport: VIEWPORT, deviceScaleFactor: 1, colorScheme: "light", reducedMotion: "reduce", locale: "en-US" });
		const page = await context.newPage();

		await page.goto(PATHS.signIn);
		await settled(page);
		// No focus ring or caret in the picture.
		await page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()");
		const signIn = join(OUTPUT_DIR, `${look.name}-sign-in.png`);
		await page.screenshot({ path: signIn });
		written.push(signIn);

		await page.goto(PATHS.signUp);
		await page.locator("#email").fill("ada.lovelace@example.com");
		await page.locator("#password").fill("correct horse battery staple 42");
		await Promise.all([page.waitForURL((url) => url.pathname === PATHS.home), page.getByRole("button", { name: "Create account" }).click()]);

		await page.goto(PATHS.security);
		await settled(page);
		const height = Math.min(MAX_PAGE_HEIGHT, await page.evaluate<number>("document.documentElement.scrollHeight"));
		const security = join(OUTPUT_DIR, `${look.name}-security.png`);
		await page.screenshot({ path: security, fullPage: true, clip: { x: 0, y: 0, width: VIEWPORT.width, height } });
		written.push(security);
		await context.close();
	} finally {
		await app.close();
		await deadbolt.close();
		rmSync(dataDir, { recursive: true, force: true });
	}
	return written;
}

mkdirSync(OUTPUT_DIR, { recursive: true });
const browser = await launchChromium();
try {
	for (const look of LOOKS) for (const file of await shoot(browser, look)) console.info(`wrote ${file}`);
} finally {
	await browser.close();
}

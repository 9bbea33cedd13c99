/**
 * The real browser of the browser tests, driven by playwright-core: Debian's `chromium` when it is
 * on `PATH` (the package `.ci/run` installs), otherwise the Chromium that the npm package
 * `@sparticuz/chromium` ships (a devDependency, so `npm ci` alone brings a browser).
 *
 * That package holds Brotli archives: the browser (a headless shell), its fonts, and the NSS
 * libraries it links to (built for Amazon Linux 2023, which a bare Debian lacks as well). They
 * are inflated once per package version into `node_modules/.cache/` of this clone (about 200 MB,
 * two to three seconds), staged and renamed into place so that test files launching at once in
 * parallel workers never see half a browser.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { findOnPath } from "./system-tools.js";

/** Where the npm package's browser is inflated: this clone's `node_modules/.cache/`. */
const CACHE_ROOT = fileURLToPath(new URL("../../node_modules/.cache/deadbolt-test-chromium/", import.meta.url));
/** Written last into a finished inflation. */
const READY_FILE = "ready";

/**
 * Flags for a headless browser on a test machine: as root (no sandbox), no GPU, and none of
 * Chromium's background connections (the test machines have no network but the loopback).
 */
const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A Chromium to launch. */
export interface ChromiumExecutable {
	readonly path: string;
	/** Where it comes from, for messages: "Debian's chromium" or "@sparticuz/chromium <version>". */
	readonly source: string;
	/** Variables the browser process needs besides this process's (its libraries and fonts). */
	readonly env: Readonly<Record<string, string>>;
}

let bundled: Promise<ChromiumExecutable> | undefined;

/** Debian's `chromium` from `PATH`, else the npm package's (inflated on first use). */
export async function findChromium(): Promise<ChromiumExecutable> {
	const debian = findOnPath("chromium");
	if (debian !== null) return { path: debian, source: "Debian's chromium", env: {} };
	bundled ??= inflateBundledChromium();
	return bundled;
}

/**
 * Launches a headless Chromium ({@link findChromium}); close it when done.
 * @param extraArgs - more command-line switches, e.g. `--host-resolver-rules=MAP *.example.test 127.0.0.1`
 * @throws Error from playwright-core when the browser does not start
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
	const executable = await findChromium();
	const env: Record<string, string> = {};
	for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
	return chromium.launch({ executablePath: executable.path, headless: true, args: [...LAUNCH_ARGS, ...extraArgs], env: { ...env, ...executable.env } });
}

/** Inflates `@sparticuz/chromium`'s browser, fonts and libraries into {@link CACHE_ROOT} unless done before. */
async function inflateBundledChromium(): Promise<ChromiumExecutable> {
	const packageRoot = join(dirname(createRequire(import.meta.url).resolve("@sparticuz/chromium")), "..");
	const version = (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string }).version;
	const target = join(CACHE_ROOT, version);
	if (!existsSync(join(target, READY_FILE))) {
		mkdirSync(CACHE_ROOT, { recursive: true });
		const staging = mkdtempSync(join(CACHE_ROOT, "staging-"));
		const { default: Chromium, inflate } = await import("@sparticuz/chromium");
		// The package inflates into os.tmpdir(), which follows TMPDIR.
		const previousTmpdir = process.env["TMPDIR"];
		process.env["TMPDIR"] = staging;
		try {
			await Chromium.executablePath(join(packageRoot, "bin"));
			await inflate(join(packageRoot, "bin", "al2023.tar.br"));
		} finally {
			if (previousTmpdir === undefined) delete process.env["TMPDIR"];
			else process.env["TMPDIR"] = previousTmpdir;
		}
		// The package's fonts.conf names the folders of AWS Lambda (/tmp/fonts, /var/task/fonts): name ours.
		writeFileSync(join(staging, "fonts.conf"), fontconfig(join(target, "fonts", "fonts"), join(target, "fonts-cache")));
		writeFileSync(join(staging, READY_FILE), `${version}\n`);
		try {
			renameSync(staging, target);
		} catch (error) {
			// Another worker finished first: use its copy.
			rmSync(staging, { recursive: true, force: true });
			if (!existsSync(join(target, READY_FILE))) throw error;
		}
	}
	const source = `@sparticuz/chromium ${version}`;
	console.info(`[chromium] Debian's chromium is not on PATH: using the Chromium of ${source} (npm)`);
	return { path: join(target, "chromium"), source, env: { LD_LIBRARY_PATH: join(target, "al2023", "lib"), FONTCONFIG_PATH: target } };
}

/** A fontconfig file (`fonts.conf`) with the fonts of `fontsDir` only, cached in `cacheDir`. */
function fontconfig(fontsDir: string, cacheDir: string): string {
	const escape = (path: string): string => path.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
	return `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n\t<dir>${escape(fontsDir)}</dir>\n\t<cachedir>${escape(cacheDir)}</cachedir>\n</fontconfig>\n`;
}

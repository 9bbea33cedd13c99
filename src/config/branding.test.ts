import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigInvalid } from "../errors.js";
import { isSupportUrl, loadBrandingAssets } from "./branding.js";
import { loadConfig } from "./load.js";
import { MAX_LOGO_BYTES } from "./logo-file.js";

const dir = mkdtempSync(join(tmpdir(), "deadbolt-branding-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(24)]);
const SVG = '<?xml version="1.0"?>\n<!-- Acme -->\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>\n';
function file(name: string, content: string | Buffer): string {
	writeFileSync(join(dir, name), content);
	return join(dir, name);
}

/** The problems loadConfig reports (empty when it loads). */
function problems(options: { env?: Record<string, string>; overrides?: unknown }): string[] {
	try {
		loadConfig(options);
		return [];
	} catch (error) {
		expect(error).toBeInstanceOf(ConfigInvalid);
		return [...(error as ConfigInvalid).issues];
	}
}

describe("branding.* in loadConfig", () => {
	it("reads every key from DEADBOLT_BRANDING_* variables; an empty one means null", () => {
		const logo = file("env-logo.png", PNG);
		const config = loadConfig({
			env: {
				DEADBOLT_BRANDING_PRODUCT_NAME: "Acme",
				DEADBOLT_BRANDING_LOGO_FILE: logo,
				DEADBOLT_BRANDING_ACCENT_COLOR: "#0b5fff",
				DEADBOLT_BRANDING_ACCENT_COLOR_DARK: "#8ab4ff",
				DEADBOLT_BRANDING_SUPPORT_URL: "https://help.acme.example/2fa?from=deadbolt",
				DEADBOLT_BRANDING_FOOTER_TEXT: "Acme Inc. <3",
			},
		});
		expect(config.branding).toEqual({ productName: "Acme", logoFile: logo, accentColor: "#0b5fff", accentColorDark: "#8ab4ff", supportUrl: "https://help.acme.example/2fa?from=deadbolt", footerText: "Acme Inc. <3" });
		const empty = loadConfig({ env: { DEADBOLT_BRANDING_LOGO_FILE: "", DEADBOLT_BRANDING_ACCENT_COLOR: "", DEADBOLT_BRANDING_SUPPORT_URL: "", DEADBOLT_BRANDING_FOOTER_TEXT: "", DEADBOLT_BRANDING_ACCENT_COLOR_DARK: "" } });
		expect(empty.branding).toEqual({ productName: "deadbolt", logoFile: null, accentColor: null, accentColorDark: null, supportUrl: null, footerText: null });
	});

	it("issuer defaults to the product name; an explicit (or empty) DEADBOLT_ISSUER decides", () => {
		expect(loadConfig({ overrides: { branding: { productName: "Acme Accounts" } } }).issuer).toBe("Acme Accounts");
		expect(loadConfig({ env: { DEADBOLT_ISSUER: "Acme" }, overrides: { branding: { productName: "Acme Accounts" } } }).issuer).toBe("Acme");
		expect(loadConfig({ env: { DEADBOLT_ISSUER: "", DEADBOLT_BRANDING_PRODUCT_NAME: "Acme" } }).issuer).toBe("Acme");
		expect(loadConfig().issuer).toBe("deadbolt");
	});

	it("refuses a product name with a colon as the issuer, unless issuer is set", () => {
		expect(problems({ env: { DEADBOLT_BRANDING_PRODUCT_NAME: "Acme: Accounts" } })).toEqual([expect.stringMatching(/^issuer \(DEADBOLT_ISSUER\): not set, so it would be branding\.productName "Acme: Accounts", which has a colon/)]);
		expect(loadConfig({ env: { DEADBOLT_BRANDING_PRODUCT_NAME: "Acme: Accounts", DEADBOLT_ISSUER: "Acme" } }).branding.productName).toBe("Acme: Accounts");
	});

	it("refuses control characters in the product name and the footer, and a footer over 200 characters", () => {
		expect(problems({ overrides: { branding: { productName: "Acme\nInc" } } }).join()).toContain("branding.productName (DEADBOLT_BRANDING_PRODUCT_NAME): must be 1 to 64 characters");
		expect(problems({ overrides: { branding: { footerText: "a\u0007b" } } }).join()).toContain("branding.footerText (DEADBOLT_BRANDING_FOOTER_TEXT)");
		expect(problems({ overrides: { branding: { footerText: "x".repeat(201) } } }).join()).toContain("branding.footerText");
		expect(problems({ overrides: { branding: { productName: "" } } }).join()).toContain("branding.productName");
	});

	it("refuses a colour that is not hex", () => {
		for (const colour of ["red", "0b5fff", "#0b5ff", "rgb(11, 95, 255)", "#0b5fff; background: url(x)"]) {
			expect(problems({ env: { DEADBOLT_BRANDING_ACCENT_COLOR: colour } }), colour).toEqual(["branding.accentColor (DEADBOLT_BRANDING_ACCENT_COLOR): must be a hex colour such as #0b5fff (or null: deadbolt's indigo)"]);
		}
		expect(problems({ env: { DEADBOLT_BRANDING_ACCENT_COLOR: "#0b5fff", DEADBOLT_BRANDING_ACCENT_COLOR_DARK: "blue" } }).join()).toContain("branding.accentColorDark (DEADBOLT_BRANDING_ACCENT_COLOR_DARK): must be a hex colour");
	});

	it("refuses an accent with too little contrast at start, naming the key, the pair and the ratio", () => {
		const [issue] = problems({ env: { DEADBOLT_BRANDING_ACCENT_COLOR: "#ff8800" } });
		expect(issue).toMatch(/^branding\.accentColor \(DEADBOLT_BRANDING_ACCENT_COLOR\): #ff8800 is too light: .+ has a contrast of \d\.\d\d:1, below the 4\.5:1 of WCAG 2\.x AA/);
		expect(problems({ env: { DEADBOLT_BRANDING_ACCENT_COLOR: "#fde047" } }).join()).toContain("too light");
		const [dark] = problems({ overrides: { branding: { accentColor: "#0b5fff", accentColorDark: "#0b5fff" } } });
		expect(dark).toMatch(/^branding\.accentColorDark \(DEADBOLT_BRANDING_ACCENT_COLOR_DARK\): #0b5fff is too dark: .+ \d\.\d\d:1/);
		expect(problems({ overrides: { branding: { accentColorDark: "#8ab4ff" } } })).toEqual(["branding.accentColorDark (DEADBOLT_BRANDING_ACCENT_COLOR_DARK): set only with branding.accentColor (the light-scheme accent)"]);
		expect(problems({ env: { DEADBOLT_BRANDING_ACCENT_COLOR: "#0B5FFF" } })).toEqual([]);
	});

	it("accepts only http(s) support URLs", () => {
		for (const url of ["https://help.example.com", "http://intranet.example/help", "https://help.example.com/a?b=c#d", "https://[::1]:8443/"]) expect(isSupportUrl(url), url).toBe(true);
		for (const url of ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "mailto:help@example.com", "ftp://example.com", "/help", "//help.example.com", "help.example.com", "https://user:pw@help.example.com", "https://help.example.com/ x", "https://help.example.com/\nx", "https:help.example.com", `https://example.com/${"x".repeat(2100)}`]) {
			expect(isSupportUrl(url), url).toBe(false);
		}
		expect(problems({ env: { DEADBOLT_BRANDING_SUPPORT_URL: "javascript:alert(1)" } })).toEqual([
			"branding.supportUrl (DEADBOLT_BRANDING_SUPPORT_URL): must be an http:// or https:// URL such as https://help.example.com (no user name or password, at most 2048 characters)",
		]);
	});

	it("reads a logo relative to dataDir or absolute, and refuses one that is missing, empty, too big, of another type or not what its extension says", () => {
		file("relative.svg", SVG);
		expect(problems({ overrides: { dataDir: dir, branding: { logoFile: "relative.svg" } } })).toEqual([]);
		expect(problems({ overrides: { branding: { logoFile: file("absolute.png", PNG) } } })).toEqual([]);
		const refused = (logoFile: string, dataDir = dir) => problems({ overrides: { dataDir, branding: { logoFile } } });
		expect(refused("missing.png")).toEqual([`branding.logoFile (DEADBOLT_BRANDING_LOGO_FILE): ${join(dir, "missing.png")}: no such file (a relative path is inside dataDir)`]);
		expect(refused(file("empty.png", Buffer.alloc(0))).join()).toContain("the file is empty");
		expect(refused(file("big.png", Buffer.concat([PNG, Buffer.alloc(MAX_LOGO_BYTES)]))).join()).toMatch(/\d+ bytes, larger than the 262144 bytes \(256 KiB\)/);
		expect(refused(file("logo.gif", "GIF89a")).join()).toContain("must be a .png, .svg, .webp, .jpg or .jpeg file");
		expect(refused(file("html.svg", "<html><script>alert(1)</script></html>")).join()).toContain("the content is not an SVG document");
		expect(refused(file("fake.png", SVG)).join()).toContain("the content is not a PNG image");
		expect(refused(file("fake.jpg", PNG)).join()).toContain("the content is not a JPEG image");
		expect(refused(file("fake.webp", PNG)).join()).toContain("the content is not a WEBP image");
		expect(refused(dir).join()).toContain("must be a .png");
		expect(refused(file("dir.png", PNG).replace("dir.png", "")).join()).toContain("must be a .png");
		// A just-right size passes.
		expect(refused(file("limit.png", Buffer.concat([PNG, Buffer.alloc(MAX_LOGO_BYTES - PNG.length)])))).toEqual([]);
	});

	it("loadBrandingAssets reads the logo once with its content type, builds the palette, and refuses a logo gone since", () => {
		const path = file("assets.svg", SVG);
		const config = loadConfig({ overrides: { branding: { logoFile: path, accentColor: "#0b5fff" } } });
		const assets = loadBrandingAssets(config);
		expect(assets.logo).toMatchObject({ path, contentType: "image/svg+xml" });
		expect(assets.logo?.bytes.toString("utf8")).toBe(SVG);
		expect(assets.palette?.light.primary).toBe("#0b5fff");
		expect(loadBrandingAssets(loadConfig())).toEqual({ palette: null, logo: null });
		rmSync(path);
		expect(() => loadBrandingAssets(config)).toThrow(ConfigInvalid);
	});
});

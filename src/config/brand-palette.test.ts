import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { brandPalette, contrastFailures, DASHBOARD_BASE, deriveDarkAccent, MINIMUM_CONTRAST, type SchemeAccent } from "./brand-palette.js";
import { contrastRatio, parseHexColor, toHex, WHITE } from "./colors.js";

const rgb = (hex: string) => parseHexColor(hex)!;

/** Every pair the rule covers in one scheme, with its ratio. */
function ratios(colors: SchemeAccent, scheme: "light" | "dark"): number[] {
	const backgrounds = [...Object.values(DASHBOARD_BASE[scheme].backgrounds), colors.primarySoft];
	return [
		contrastRatio(rgb(colors.primaryText), rgb(colors.primary)),
		contrastRatio(rgb(colors.primaryText), rgb(colors.primaryHover)),
		...backgrounds.flatMap((background) => [contrastRatio(rgb(colors.primary), rgb(background)), contrastRatio(rgb(colors.primaryHover), rgb(background))]),
	];
}

describe("the accent palette (branding.accentColor)", () => {
	it("checks against the backgrounds dashboard.css really has, in both schemes", () => {
		const css = readFileSync(new URL("../dashboard/assets/dashboard.css", import.meta.url), "utf8");
		const [light, dark] = [css.split("@media (prefers-color-scheme: dark)")[0]!, css.split("@media (prefers-color-scheme: dark)")[1]!.split("\n}\n")[0]!];
		const value = (block: string, name: string) => new RegExp(`${name}: (#[0-9a-f]{6});`).exec(block)?.[1];
		for (const [scheme, block] of [["light", light], ["dark", dark]] as const) {
			for (const [name, hex] of Object.entries(DASHBOARD_BASE[scheme].backgrounds)) expect(value(block, name), `${scheme} ${name}`).toBe(hex);
			expect(value(block, "--primary-text"), `${scheme} --primary-text`).toBe(DASHBOARD_BASE[scheme].buttonText);
		}
	});

	it("accepts deadbolt's own indigo and common brand colours, each pair at 4.5:1 or more in both schemes", () => {
		for (const accent of ["#4338ca", "#0b5fff", "#0a7c5a", "#c2410c", "#be185d", "#000000"]) {
			const result = brandPalette(accent, null);
			expect(result.ok, accent).toBe(true);
			if (!result.ok) continue;
			expect(result.palette.light.primary).toBe(accent);
			expect(result.palette.light.primaryText).toBe("#ffffff");
			expect(result.palette.dark.primaryText).toBe("#0f131c");
			for (const scheme of ["light", "dark"] as const) expect(Math.min(...ratios(result.palette[scheme], scheme)), `${accent} ${scheme}`).toBeGreaterThanOrEqual(MINIMUM_CONTRAST);
		}
	});

	it("refuses an accent too light for white text or as text on the light backgrounds, naming the pair and the ratio", () => {
		const orange = brandPalette("#ff8800", null);
		expect(orange).toEqual({ ok: false, issues: [{ key: "accentColor", message: expect.stringMatching(/^#ff8800 is too light: .* has a contrast of 2\.\d\d:1, below the 4\.5:1 of WCAG 2\.x AA \(SC 1\.4\.3\); choose a darker colour$/) }] });
		// White text on #777777 is 4.48:1: just below, refused.
		const grey = brandPalette("#777777", null);
		expect(grey.ok).toBe(false);
		// Passes with white (4.54:1) but not as text on the light grey page backgrounds.
		const almost = brandPalette("#767676", null);
		expect(almost.ok).toBe(false);
		expect(JSON.stringify(almost)).toContain("as text on --");
	});

	it("refuses an accentColorDark too dark for the dark scheme; accepts a light one", () => {
		const result = brandPalette("#0b5fff", "#1d4ed8");
		expect(result).toEqual({ ok: false, issues: [{ key: "accentColorDark", message: expect.stringMatching(/^#1d4ed8 is too dark: .* has a contrast of \d\.\d\d:1, below the 4\.5:1 .*; choose a lighter colour$/) }] });
		const ok = brandPalette("#0b5fff", "#8ab4ff");
		expect(ok.ok && ok.palette.dark.primary).toBe("#8ab4ff");
	});

	it("derives a dark accent that passes for every colour, and only as light as needed", () => {
		expect(contrastFailures({ primary: "#ffffff", primaryHover: "#ffffff", primarySoft: toHex({ red: 57, green: 61, blue: 70 }), primaryText: "#0f131c", focus: "#ffffff" }, "dark")).toEqual([]);
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 0xffffff }), (value) => {
				const accent = { red: value >> 16, green: (value >> 8) & 0xff, blue: value & 0xff };
				const dark = deriveDarkAccent(accent);
				const palette = brandPalette(toHex(accent), toHex(dark));
				// The derived colour passes every dark-scheme pair (the light one may fail: another check).
				return palette.ok || palette.issues.every((issue) => issue.key === "accentColor");
			}),
			{ numRuns: 300 },
		);
		// A light accent that already passes on dark backgrounds is kept as is.
		expect(toHex(deriveDarkAccent(rgb("#8ab4ff")))).toBe("#8ab4ff");
		expect(toHex(deriveDarkAccent(WHITE))).toBe("#ffffff");
	});
});

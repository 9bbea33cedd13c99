import { describe, expect, it } from "vitest";
import { contrastRatio, formatRatio, mix, parseHexColor, relativeLuminance, toHex, WHITE, BLACK } from "./colors.js";

describe("colors", () => {
	it("reads #rgb and #rrggbb in any case, and nothing else", () => {
		expect(parseHexColor("#0B5fff")).toEqual({ red: 11, green: 95, blue: 255 });
		expect(parseHexColor("#f80")).toEqual({ red: 255, green: 136, blue: 0 });
		for (const text of ["0b5fff", "#0b5ff", "#0b5fffa", "#ggg", "red", "rgb(0,0,0)", "#0b5fff ", ""]) expect(parseHexColor(text), text).toBeNull();
		expect(toHex(parseHexColor("#ABC") as never)).toBe("#aabbcc");
	});

	it("computes WCAG 2.x relative luminance and contrast ratios (W3C's own examples)", () => {
		expect(relativeLuminance(WHITE)).toBe(1);
		expect(relativeLuminance(BLACK)).toBe(0);
		expect(contrastRatio(BLACK, WHITE)).toBe(21);
		expect(contrastRatio(WHITE, BLACK)).toBe(21);
		// #777777 on white is the classic "just below AA" grey: 4.48:1.
		expect(contrastRatio(parseHexColor("#777777")!, WHITE)).toBeCloseTo(4.478, 3);
		// #767676 is the lightest grey that passes on white: 4.54:1.
		expect(contrastRatio(parseHexColor("#767676")!, WHITE)).toBeGreaterThanOrEqual(4.5);
	});

	it("never rounds a failing ratio up to a passing one in messages", () => {
		expect(formatRatio(4.4999)).toBe("4.49:1");
		expect(formatRatio(21)).toBe("21.00:1");
	});

	it("mixes like CSS color-mix(in srgb)", () => {
		expect(toHex(mix(BLACK, WHITE, 0.5))).toBe("#808080");
		expect(toHex(mix(parseHexColor("#0b5fff")!, WHITE, 1))).toBe("#0b5fff");
		expect(toHex(mix(parseHexColor("#0b5fff")!, WHITE, 0))).toBe("#ffffff");
	});
});

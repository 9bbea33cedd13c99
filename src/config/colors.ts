/**
 * sRGB colours as the dashboard's brand uses them: parsing `#rgb`/`#rrggbb`, mixing two colours
 * channel by channel (what CSS `color-mix(in srgb, ...)` does), and the WCAG 2.x relative
 * luminance and contrast ratio.
 * @see https://www.w3.org/TR/WCAG21/#dfn-relative-luminance
 * @see https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio
 */

/** An sRGB colour: three channels, each an integer 0-255. */
export interface RGB {
	readonly red: number;
	readonly green: number;
	readonly blue: number;
}

/** `#rgb` or `#rrggbb`, case-insensitive. */
export const HEX_COLOR_PATTERN = "^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$";

/**
 * Reads a hex colour.
 * @param text - `#rgb` or `#rrggbb` (case-insensitive)
 * @returns the colour, or null when `text` is not one of those forms
 */
export function parseHexColor(text: string): RGB | null {
	if (!new RegExp(HEX_COLOR_PATTERN).test(text)) return null;
	const digits = text.length === 4 ? [...text.slice(1)].map((d) => d + d).join("") : text.slice(1);
	return { red: parseInt(digits.slice(0, 2), 16), green: parseInt(digits.slice(2, 4), 16), blue: parseInt(digits.slice(4, 6), 16) };
}

/** The colour as `#rrggbb`, lower case. */
export function toHex(color: RGB): string {
	return `#${[color.red, color.green, color.blue].map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * `share` of `color` and the rest of `other`, per channel in gamma-encoded sRGB, rounded to whole
 * channel values: CSS `color-mix(in srgb, color share, other)`.
 * @param share - 0 to 1 (0: `other`, 1: `color`)
 */
export function mix(color: RGB, other: RGB, share: number): RGB {
	const channel = (a: number, b: number): number => Math.round(a * share + b * (1 - share));
	return { red: channel(color.red, other.red), green: channel(color.green, other.green), blue: channel(color.blue, other.blue) };
}

/** WCAG 2.x relative luminance: 0 (black) to 1 (white). */
export function relativeLuminance(color: RGB): number {
	const linear = (channel: number): number => {
		const c = channel / 255;
		return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
	};
	return 0.2126 * linear(color.red) + 0.7152 * linear(color.green) + 0.0722 * linear(color.blue);
}

/** WCAG 2.x contrast ratio of two colours: 1 (none) to 21 (black on white); order does not matter. */
export function contrastRatio(a: RGB, b: RGB): number {
	const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
	return (light + 0.05) / (dark + 0.05);
}

/** A contrast ratio as people read it, rounded down to two decimals: `4.49:1` (never rounded up to a passing 4.5). */
export function formatRatio(ratio: number): string {
	return `${(Math.floor(ratio * 100) / 100).toFixed(2)}:1`;
}

/** White. */
export const WHITE: RGB = Object.freeze({ red: 255, green: 255, blue: 255 });
/** Black. */
export const BLACK: RGB = Object.freeze({ red: 0, green: 0, blue: 0 });

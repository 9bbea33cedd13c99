/**
 * The dashboard's accent colours from `branding.accentColor` (and `branding.accentColorDark`),
 * checked for contrast at start (docs/decisions.md, "Branding").
 *
 * The rule: wherever the dashboard puts text on the accent or the accent as text, the pair reaches
 * WCAG 2.x AA for normal text, 4.5:1 (SC 1.4.3); focus rings in the accent then also pass 3:1
 * (SC 1.4.11). In the light scheme the accent carries white button text and is the colour of
 * links on the light backgrounds and on its own pale tint. One colour cannot also be link text on
 * the dark backgrounds (a colour dark enough for white text is too dark there), so the dark scheme
 * uses `accentColorDark` when set, or else the accent lightened (mixed with white, 1% at a time)
 * until it passes there with dark button text: that always ends, at worst close to white.
 *
 * The backgrounds are those of `src/dashboard/assets/dashboard.css` (a test keeps them equal).
 * Every colour served is computed here and served as computed (`/dashboard/assets/brand.css`), so
 * the colours checked are the colours shown.
 * @see https://www.w3.org/TR/WCAG21/#contrast-minimum
 */
import { BLACK, contrastRatio, formatRatio, mix, parseHexColor, toHex, WHITE, type RGB } from "./colors.js";

/** WCAG 2.x AA minimum contrast for normal text (SC 1.4.3). */
export const MINIMUM_CONTRAST = 4.5;

/** The accent's custom properties in one colour scheme, each `#rrggbb`. */
export interface SchemeAccent {
	/** `--primary`: buttons, links, the current navigation entry, the header's mark. */
	readonly primary: string;
	/** `--primary-hover`: buttons and links under the pointer (further from the background than `primary`). */
	readonly primaryHover: string;
	/** `--primary-soft`: the pale (light) or deep (dark) tint behind accent-coloured text. */
	readonly primarySoft: string;
	/** `--primary-text`: text on accent buttons. */
	readonly primaryText: string;
	/** `--focus`: focus rings. */
	readonly focus: string;
}

/** The accent in both colour schemes. */
export interface BrandPalette {
	readonly light: SchemeAccent;
	readonly dark: SchemeAccent;
}

/** The dashboard's backgrounds and button text colours in one scheme, as in dashboard.css. */
export interface SchemeBase {
	/** `--surface`, `--bg`, `--surface-muted`, `--surface-sunken`: where accent-coloured text may stand. */
	readonly backgrounds: Readonly<Record<string, string>>;
	/** `--primary-text`: the text on accent buttons. */
	readonly buttonText: string;
}

/** The backgrounds of dashboard.css (`:root` and its dark-scheme block). */
export const DASHBOARD_BASE: Readonly<{ light: SchemeBase; dark: SchemeBase }> = Object.freeze({
	light: Object.freeze({ backgrounds: Object.freeze({ "--surface": "#ffffff", "--bg": "#f4f6fb", "--surface-muted": "#f7f8fc", "--surface-sunken": "#eef1f8" }), buttonText: "#ffffff" }),
	dark: Object.freeze({ backgrounds: Object.freeze({ "--surface": "#171c27", "--bg": "#0f131c", "--surface-muted": "#1c2230", "--surface-sunken": "#222a3a" }), buttonText: "#0f131c" }),
});

/** How much accent the pale light tint holds (the rest white). */
const LIGHT_SOFT_SHARE = 0.08;
/** How much accent the deep dark tint holds (the rest the dark `--surface`). */
const DARK_SOFT_SHARE = 0.16;
/** How much black darkens the light hover colour. */
const LIGHT_HOVER_DARKEN = 0.15;
/** How much white lightens the dark hover colour. */
const DARK_HOVER_LIGHTEN = 0.2;

/** One pair of colours below the minimum. */
export interface ContrastFailure {
	/** What the pair is, for the message: "white button text on it", "it as text on --surface-sunken #eef1f8". */
	readonly pair: string;
	readonly ratio: number;
}

const rgb = (hex: string): RGB => parseHexColor(hex) as RGB;

/** The accent's tint, hover colour and button text in one scheme (not checked). */
function schemeAccent(accent: RGB, scheme: "light" | "dark"): SchemeAccent {
	const base = DASHBOARD_BASE[scheme];
	const soft = scheme === "light" ? mix(accent, WHITE, LIGHT_SOFT_SHARE) : mix(accent, rgb(base.backgrounds["--surface"] as string), DARK_SOFT_SHARE);
	const hover = scheme === "light" ? mix(BLACK, accent, LIGHT_HOVER_DARKEN) : mix(WHITE, accent, DARK_HOVER_LIGHTEN);
	return { primary: toHex(accent), primaryHover: toHex(hover), primarySoft: toHex(soft), primaryText: base.buttonText, focus: toHex(accent) };
}

/**
 * Every pair of `colors` (one scheme) below {@link MINIMUM_CONTRAST}, worst first: the button
 * text on the accent and on its hover colour, and the accent and its hover colour as text on each
 * background and on the tint.
 */
export function contrastFailures(colors: SchemeAccent, scheme: "light" | "dark"): ContrastFailure[] {
	const base = DASHBOARD_BASE[scheme];
	const pairs: [string, string, string][] = [[`${scheme === "light" ? "white" : "dark"} button text on it`, colors.primaryText, colors.primary]];
	pairs.push([`${scheme === "light" ? "white" : "dark"} button text on its hover colour ${colors.primaryHover}`, colors.primaryText, colors.primaryHover]);
	for (const [name, background] of [...Object.entries(base.backgrounds), ["its tint", colors.primarySoft] as const]) {
		pairs.push([`it as text on ${name} ${background}`, colors.primary, background]);
		pairs.push([`its hover colour ${colors.primaryHover} as text on ${name} ${background}`, colors.primaryHover, background]);
	}
	return pairs
		.map(([pair, a, b]) => ({ pair, ratio: contrastRatio(rgb(a), rgb(b)) }))
		.filter((f) => f.ratio < MINIMUM_CONTRAST)
		.sort((x, y) => x.ratio - y.ratio);
}

/** The sentence for the worst failure of a colour: names the pair, its ratio and the minimum. */
export function contrastMessage(hex: string, failure: ContrastFailure, advice: string): string {
	return `${hex} is too ${advice === "darker" ? "light" : "dark"}: ${failure.pair} has a contrast of ${formatRatio(failure.ratio)}, below the ${MINIMUM_CONTRAST}:1 of WCAG 2.x AA (SC 1.4.3); choose a ${advice} colour`;
}

/**
 * The first lightening of `accent` (mixed with white, 1% at a time) that passes every dark-scheme
 * check; `accent` itself when it passes already.
 */
export function deriveDarkAccent(accent: RGB): RGB {
	for (let percent = 0; percent <= 100; percent++) {
		const candidate = mix(WHITE, accent, percent / 100);
		if (contrastFailures(schemeAccent(candidate, "dark"), "dark").length === 0) return candidate;
	}
	// White passes every dark check (test-enforced); unreachable.
	return WHITE;
}

/** What {@link brandPalette} found. */
export type PaletteResult = { readonly ok: true; readonly palette: BrandPalette } | { readonly ok: false; readonly issues: readonly { key: "accentColor" | "accentColorDark"; message: string }[] };

/**
 * The palette of `branding.accentColor` and `branding.accentColorDark`, or why they are refused.
 * @param accentColor - `#rgb`/`#rrggbb`, the light-scheme accent
 * @param accentColorDark - the dark-scheme accent, or null to derive it from `accentColor`
 */
export function brandPalette(accentColor: string, accentColorDark: string | null): PaletteResult {
	const issues: { key: "accentColor" | "accentColorDark"; message: string }[] = [];
	const light = parseHexColor(accentColor);
	if (light === null) return { ok: false, issues: [{ key: "accentColor", message: "must be a hex colour such as #0b5fff" }] };
	const lightColors = schemeAccent(light, "light");
	const lightFailure = contrastFailures(lightColors, "light")[0];
	if (lightFailure !== undefined) issues.push({ key: "accentColor", message: contrastMessage(accentColor, lightFailure, "darker") });
	let darkColors: SchemeAccent;
	if (accentColorDark === null) {
		darkColors = schemeAccent(deriveDarkAccent(light), "dark");
	} else {
		const dark = parseHexColor(accentColorDark);
		if (dark === null) return { ok: false, issues: [...issues, { key: "accentColorDark", message: "must be a hex colour such as #8ab4ff" }] };
		darkColors = schemeAccent(dark, "dark");
		const darkFailure = contrastFailures(darkColors, "dark")[0];
		if (darkFailure !== undefined) issues.push({ key: "accentColorDark", message: contrastMessage(accentColorDark, darkFailure, "lighter") });
	}
	return issues.length > 0 ? { ok: false, issues } : { ok: true, palette: { light: lightColors, dark: darkColors } };
}

/**
 * The operator's branding as the dashboard uses it: the {@link Brand} the page shell shows, and
 * the accent stylesheet (`/dashboard/assets/brand.css`) made of the palette checked at start
 * (`config/brand-palette.ts`). The stylesheet only sets dashboard.css's custom properties, so no
 * `style` attribute is ever needed (the CSP allows styles from this origin only).
 */
import type { BrandPalette, SchemeAccent } from "../config/brand-palette.js";
import type { Deadbolt } from "../deadbolt.js";
import type { Brand } from "./layout.js";

/** The page shell's {@link Brand} of this deadbolt (`branding.*` and what was read at start). */
export function brandOf(deadbolt: Deadbolt): Brand {
	const { branding } = deadbolt.config;
	return Object.freeze({
		productName: branding.productName,
		hasLogo: deadbolt.branding.logo !== null,
		hasAccent: deadbolt.branding.palette !== null,
		supportUrl: branding.supportUrl,
		footerText: branding.footerText,
	});
}

function properties(colors: SchemeAccent, indent: string): string {
	return [
		`--primary: ${colors.primary};`,
		`--primary-hover: ${colors.primaryHover};`,
		`--primary-soft: ${colors.primarySoft};`,
		`--primary-text: ${colors.primaryText};`,
		`--focus: ${colors.focus};`,
	]
		.map((line) => `${indent}${line}`)
		.join("\n");
}

/**
 * The accent stylesheet: dashboard.css's accent custom properties for the light scheme and, under
 * `prefers-color-scheme: dark`, for the dark one. Linked after dashboard.css, so it wins.
 * @param palette - colours as `#rrggbb` (computed, never operator text)
 */
export function brandStylesheet(palette: BrandPalette): string {
	return `/* deadbolt: the accent colours of branding.accentColor (docs/config.md). */
:root {
${properties(palette.light, "\t")}
}

@media (prefers-color-scheme: dark) {
	:root {
${properties(palette.dark, "\t\t")}
	}
}
`;
}

/**
 * The checks of `branding.*` beyond the schema (docs/config.md, "Branding"), and what the
 * dashboard serves from it: the accent palette (`brand-palette.ts`) and the logo file
 * (`logo-file.ts`). `loadConfig` runs the checks, so a bad brand stops the start with a config
 * error; the composition root builds the {@link BrandingAssets} once.
 */
import { ConfigInvalid } from "../errors.js";
import { brandPalette, type BrandPalette } from "./brand-palette.js";
import { readLogoFile, type LogoImage } from "./logo-file.js";
import type { Config } from "./schema.js";

/** What the dashboard serves from the branding: each null when not configured. */
export interface BrandingAssets {
	/** The accent in both colour schemes (`/dashboard/assets/brand.css`), or null: the default colours. */
	readonly palette: BrandPalette | null;
	/** The logo (`/dashboard/assets/logo`), or null: the padlock. */
	readonly logo: LogoImage | null;
}

/** The longest `branding.supportUrl`, in characters. */
export const MAX_SUPPORT_URL_LENGTH = 2_048;

/**
 * Whether `text` is a link deadbolt shows as "Get help": an absolute `http:` or `https:` URL with
 * a host, no user name or password, no spaces or control characters.
 */
export function isSupportUrl(text: string): boolean {
	if (text.length > MAX_SUPPORT_URL_LENGTH || /[\s\x00-\x1f\x7f]/.test(text)) return false;
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return false;
	}
	return (url.protocol === "https:" || url.protocol === "http:") && /^https?:\/\//i.test(text) && url.hostname !== "" && url.username === "" && url.password === "";
}

/** The branding keys as they arrive in `loadConfig` (already through the schema). */
type Branding = Config["branding"];

/**
 * The problems of a branding that passed the schema: colours below the contrast rule, a support
 * URL that is not http(s), a logo file that is missing, too big or not what its extension says.
 * @param describe - the key's name as messages show it (with its environment variable)
 * @returns one sentence per problem, each starting with the key
 */
export function brandingIssues(branding: Branding, dataDir: string, describe: (path: string) => string): string[] {
	const issues: string[] = [];
	if (branding.accentColor !== null) {
		const result = brandPalette(branding.accentColor, branding.accentColorDark);
		if (!result.ok) for (const issue of result.issues) issues.push(`${describe(`branding.${issue.key}`)}: ${issue.message}`);
	} else if (branding.accentColorDark !== null) {
		issues.push(`${describe("branding.accentColorDark")}: set only with branding.accentColor (the light-scheme accent)`);
	}
	if (branding.supportUrl !== null && !isSupportUrl(branding.supportUrl)) {
		issues.push(`${describe("branding.supportUrl")}: must be an http:// or https:// URL such as https://help.example.com (no user name or password, at most ${MAX_SUPPORT_URL_LENGTH} characters)`);
	}
	if (branding.logoFile !== null) {
		const logo = readLogoFile(dataDir, branding.logoFile);
		if (!logo.ok) issues.push(`${describe("branding.logoFile")}: ${logo.problem}`);
	}
	return issues;
}

/**
 * Builds the palette and reads the logo of a loaded config.
 * @throws ConfigInvalid when the branding does not pass (e.g. the logo file went away since the config was loaded)
 */
export function loadBrandingAssets(config: Config): BrandingAssets {
	const { branding } = config;
	const issues = brandingIssues({ ...branding, logoFile: null }, config.dataDir, (path) => path);
	const logo = branding.logoFile === null ? null : readLogoFile(config.dataDir, branding.logoFile);
	if (logo !== null && !logo.ok) issues.push(`branding.logoFile: ${logo.problem}`);
	if (issues.length > 0) throw new ConfigInvalid(issues);
	const palette = branding.accentColor === null ? null : brandPalette(branding.accentColor, branding.accentColorDark);
	return Object.freeze({ palette: palette?.ok === true ? palette.palette : null, logo: logo?.ok === true ? logo.logo : null });
}

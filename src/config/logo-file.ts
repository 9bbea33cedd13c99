/**
 * The operator's logo (`branding.logoFile`): read once at start and checked, so that the
 * dashboard serves it from its own origin (`/dashboard/assets/logo`; the CSP allows images from
 * 'self' only) with the right content type. A PNG, SVG, WebP or JPEG file of at most
 * {@link MAX_LOGO_BYTES}, whose content is what its extension says.
 */
import { readFileSync, statSync } from "node:fs";
import { extname, isAbsolute, resolve } from "node:path";

/** The largest logo file accepted, in bytes (256 KiB: a header logo needs a few KiB). */
export const MAX_LOGO_BYTES = 262_144;

/** The accepted extensions (lower case) and the content type each is served with. */
export const LOGO_CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
	".png": "image/png",
	".svg": "image/svg+xml",
	".webp": "image/webp",
	".jpg": "image/jpeg",
	".jpeg": "image/jpeg",
});

/** A logo read and checked. */
export interface LogoImage {
	/** The file as read, resolved against the data directory. */
	readonly path: string;
	readonly bytes: Buffer;
	/** `image/png`, `image/svg+xml`, `image/webp` or `image/jpeg`. */
	readonly contentType: string;
}

/** The logo's path: `logoFile` as is when absolute, else inside `dataDir`. */
export function logoPath(dataDir: string, logoFile: string): string {
	return isAbsolute(logoFile) ? logoFile : resolve(dataDir, logoFile);
}

/** An SVG document: optional byte-order mark, XML declaration, comments and doctype, then the `<svg` root. */
const SVG_START = /^\uFEFF?\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>[]*(\[[^\]]*\])?\s*>\s*)*<svg[\s>]/i;

/** Whether `bytes` start as a file of `contentType` does. */
function looksLike(contentType: string, bytes: Buffer): boolean {
	switch (contentType) {
		case "image/png":
			return bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
		case "image/jpeg":
			return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
		case "image/webp":
			return bytes.subarray(0, 4).toString("latin1") === "RIFF" && bytes.subarray(8, 12).toString("latin1") === "WEBP";
		default: {
			const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, 4096));
			return SVG_START.test(text);
		}
	}
}

/**
 * Reads and checks the logo.
 * @param dataDir - relative `logoFile` paths are resolved against it
 * @returns the logo, or the problem as a sentence naming the file (missing, not a file, empty,
 *   too big, an extension not accepted, content that is not what the extension says)
 */
export function readLogoFile(dataDir: string, logoFile: string): { ok: true; logo: LogoImage } | { ok: false; problem: string } {
	const path = logoPath(dataDir, logoFile);
	const contentType = LOGO_CONTENT_TYPES[extname(path).toLowerCase()];
	if (contentType === undefined) return { ok: false, problem: `${path}: must be a .png, .svg, .webp, .jpg or .jpeg file` };
	let size: number;
	try {
		const stat = statSync(path);
		if (!stat.isFile()) return { ok: false, problem: `${path}: not a file` };
		size = stat.size;
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		return { ok: false, problem: `${path}: ${code === "ENOENT" ? "no such file" : `cannot be read (${code ?? "error"})`} (a relative path is inside dataDir)` };
	}
	if (size === 0) return { ok: false, problem: `${path}: the file is empty` };
	if (size > MAX_LOGO_BYTES) return { ok: false, problem: `${path}: ${size} bytes, larger than the ${MAX_LOGO_BYTES} bytes (256 KiB) a logo may have` };
	let bytes: Buffer;
	try {
		bytes = readFileSync(path);
	} catch (error) {
		return { ok: false, problem: `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})` };
	}
	// Checked again on the bytes read: the file may have grown since it was looked at.
	if (bytes.length > MAX_LOGO_BYTES) return { ok: false, problem: `${path}: ${bytes.length} bytes, larger than the ${MAX_LOGO_BYTES} bytes (256 KiB) a logo may have` };
	if (!looksLike(contentType, bytes)) return { ok: false, problem: `${path}: the content is not ${contentType === "image/svg+xml" ? "an SVG document" : `a ${contentType.slice(6).toUpperCase()} image`}, as its extension says` };
	return { ok: true, logo: { path, bytes, contentType } };
}

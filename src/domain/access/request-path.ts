/**
 * The path of a forward-auth request as the access rules see it. The proxy passes the path as the
 * client wrote it (`$request_uri`, `{http.request.uri}`), and the app behind it resolves that path
 * in its own way: Express routes `/admin/../public` under `/admin`, Go's `path.Clean` merges `//`
 * before it removes `..`, Tomcat drops `;params` (so `/public/..;/admin` is `/admin`), many servers
 * decode `%2e`, `%2f` or `%5c` before they resolve, and nginx passes a raw `\` on while WHATWG URL
 * parsing reads it as `/`. A path that these readings resolve differently cannot be judged for
 * every app at once, so it is refused ({@link ambiguousPathReason}); browsers never send one (they
 * resolve dot segments and turn `\` into `/` themselves). What remains is judged in a canonical form
 * ({@link canonicalPath}) that covers the equivalent spellings of one path (CWE-22, CWE-647).
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-6.2.2 (syntax-based normalization)
 */

/** Why a path is refused. */
export type AmbiguousPathReason =
	/** A control character (WHATWG URL parsing drops tabs and newlines that an app keeps). */
	| "control_character"
	/** A `#`: never sent by a browser; some servers route the part after it, the rules would not see it. */
	| "fragment"
	/** A `\`, raw or percent-encoded: a path separator for WHATWG URLs and some servers, a plain character for others. */
	| "backslash"
	/** A `.` or `..` segment, raw or percent-encoded (also with `;params`, or behind an encoded `/`). */
	| "dot_segment";

/** How many rounds of percent-decoding are checked (a double-encoded `%252e` is decoded twice by some stacks). */
const DECODING_ROUNDS = 3;

/** One round of percent-decoding, byte by byte (a malformed escape or UTF-8 sequence stays as it is). */
function percentDecodeBytes(text: string): string {
	return text.replace(/%([0-9A-Fa-f]{2})/g, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Whether a decoded path has a `.` or `..` segment, also as `..;params` (Tomcat drops `;params` first). */
function hasDotSegment(decodedPath: string): boolean {
	return decodedPath.split("/").some((segment) => {
		const name = segment.split(";")[0];
		return name === "." || name === "..";
	});
}

/**
 * Checks the request target the proxy passed on, after the host: path, query and anything else.
 * @param rawTarget - the original URL after its authority, exactly as received (`/a/b?c=d`)
 * @returns why the path is ambiguous, or null when every reading of it resolves to the same path
 */
export function ambiguousPathReason(rawTarget: string): AmbiguousPathReason | null {
	if (/[\x00-\x1f\x7f]/.test(rawTarget)) return "control_character";
	if (rawTarget.includes("#")) return "fragment";
	const query = rawTarget.indexOf("?");
	let path = query === -1 ? rawTarget : rawTarget.slice(0, query);
	for (let round = 0; round <= DECODING_ROUNDS; round++) {
		if (path.includes("\\")) return "backslash";
		if (hasDotSegment(path)) return "dot_segment";
		const decoded = percentDecodeBytes(path);
		if (decoded === path) break;
		path = decoded;
	}
	return null;
}

/** RFC 3986 §2.3 unreserved characters: their percent-encoded form is the same URI (§6.2.2.2). */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The path the rules are matched against, for a path that passed {@link ambiguousPathReason} and was
 * parsed as a WHATWG URL: percent-encoded unreserved characters decoded (`/%61dmin` is `/admin`,
 * RFC 3986 §6.2.2.2), `;params` dropped from each segment (`/admin;jsessionid=1/x` is `/admin/x`, as
 * Java servers read it), and runs of `/` merged (`//admin` is `/admin`, as nginx and Go read it).
 * @param pathname - `URL.pathname`
 */
export function canonicalPath(pathname: string): string {
	const decoded = pathname.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
		const character = String.fromCharCode(Number.parseInt(hex, 16));
		return UNRESERVED.test(character) ? character : escape;
	});
	return decoded
		.split("/")
		.map((segment) => segment.split(";")[0])
		.join("/")
		.replace(/\/{2,}/g, "/");
}

/**
 * The path as an app that percent-decodes it before routing reads it (WSGI's `PATH_INFO` in Django
 * and Flask, Go's `ServeMux` before 1.22): `/admin%2Fx` is `/admin/x` there. Escapes of ASCII
 * characters are decoded (up to the rounds {@link ambiguousPathReason} checks, for a doubly encoded
 * `%252F`); escapes of other bytes stay, as the rules see them in every reading. Then as
 * {@link canonicalPath}. Rules must let this reading through as well as the others.
 * @param pathname - `URL.pathname` of a path that passed {@link ambiguousPathReason}
 */
export function decodedPath(pathname: string): string {
	let path = pathname;
	for (let round = 0; round < DECODING_ROUNDS; round++) {
		const decoded = path.replace(/%([0-7][0-9A-Fa-f])/g, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
		if (decoded === path) break;
		path = decoded;
	}
	return canonicalPath(path);
}

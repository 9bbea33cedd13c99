/**
 * Cross-site request forgery defence for the JSON API (OWASP ASVS 5.0 3.5, OWASP CSRF Cheat
 * Sheet "Verifying Origin"): an unsafe request (POST, PUT, PATCH, DELETE) that carries a foreign
 * `Origin` is refused; one that would be authenticated by a cookie (session or login challenge)
 * must come with a same-origin `Origin` (or `Sec-Fetch-Site: same-origin`). API clients that
 * send `Authorization: Bearer` are not affected. A body must be JSON: HTML forms cannot send it
 * cross-site without a CORS preflight (which deadbolt never grants).
 */
import type { FastifyRequest } from "fastify";
import type { Config } from "../../config/schema.js";
import { CSRFRejected, InvalidRequest } from "../../errors.js";

/** A body that is not JSON, on the JSON API: HTTP 415 with code ERR_INVALID_REQUEST. */
export class UnsupportedMediaType extends InvalidRequest {
	constructor() {
		super("This API accepts JSON bodies only: send Content-Type: application/json.", [], { reason: "unsupported_media_type" });
	}
}
import type { CookieSettings } from "../cookies.js";
import { bearerToken } from "./session.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The origins this deployment answers as: the public URL, and the request's own scheme and Host. */
export function ownOrigins(request: FastifyRequest, config: Config): string[] {
	const origins = [`${request.protocol}://${request.host}`];
	if (config.http.publicUrl !== null) origins.push(config.http.publicUrl.replace(/\/+$/, ""));
	return origins;
}

/** Whether the request's `Origin` (or fetch metadata, when there is no Origin) says it comes from this site. */
export function isSameOrigin(request: FastifyRequest, config: Config): boolean | null {
	const origin = request.headers.origin;
	// "null" is what browsers send under some referrer policies and from opaque origins: it proves
	// nothing either way, so fetch metadata decides.
	if (typeof origin === "string" && origin !== "" && origin !== "null") return ownOrigins(request, config).includes(origin);
	const site = request.headers["sec-fetch-site"];
	if (site === "same-origin") return true;
	if (typeof site === "string") return false;
	return null;
}

/**
 * An onRequest hook for the API scope.
 * @throws CSRFRejected
 */
export function createAPICSRFCheck(config: Config, cookies: CookieSettings): (request: FastifyRequest) => Promise<void> {
	return async (request: FastifyRequest): Promise<void> => {
		if (SAFE_METHODS.has(request.method)) return;
		const type = request.headers["content-type"];
		if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
			throw new UnsupportedMediaType();
		}
		const sameOrigin = isSameOrigin(request, config);
		if (sameOrigin === false) throw new CSRFRejected(undefined, { reason: "foreign_origin" });
		// Any Authorization header but a Bearer token leaves the session cookie in charge (a browser
		// may add Basic itself); the challenge cookie is read whatever the Authorization header.
		const usesCookie = (bearerToken(request) === null && request.cookies[cookies.sessionName] !== undefined) || request.cookies[cookies.challengeName] !== undefined;
		if (usesCookie && sameOrigin !== true) throw new CSRFRejected(undefined, { reason: "no_origin" });
	};
}

/**
 * Names and attributes of deadbolt's cookies. All are HttpOnly and SameSite=Lax; Secure and the
 * `__Host-` prefix whenever the public URL is https (NIST SP 800-63B §7.1.1, OWASP ASVS 3.4).
 * Plain-http development keeps unprefixed names, since browsers refuse `__Host-` without Secure.
 */
import type { CookieSerializeOptions } from "@fastify/cookie";
import type { Config } from "../config/schema.js";

/** The cookie settings for one deployment. */
export interface CookieSettings {
	readonly secure: boolean;
	/** The session token. */
	readonly sessionName: string;
	/** The login challenge token, between the password and the code step. */
	readonly challengeName: string;
	/** The dashboard's CSRF form token (double-submit). */
	readonly csrfName: string;
	/** The "remember this device" token. */
	readonly trustedDeviceName: string;
	/**
	 * The forward-auth token (`service/forward-auth-sessions.ts`), read only by the forward-auth
	 * endpoints: on `session.cookieDomain` when set (`__Secure-` prefixed on https, since `__Host-`
	 * cannot carry a domain), else on deadbolt's host (`__Host-` on https).
	 */
	readonly forwardAuthName: string;
	/** Where to send the browser after signing in (a validated `rd`), between the sign-in page and the end of the sign-in. */
	readonly returnName: string;
	/** Attributes of the forward-auth cookie (its domain, when set), living `maxAgeSeconds` (undefined: until the browser closes). */
	forwardAuthOptions(maxAgeSeconds?: number): CookieSerializeOptions;
	/** Attributes for a cookie that lives `maxAgeSeconds` (undefined: until the browser closes). */
	options(maxAgeSeconds?: number): CookieSerializeOptions;
}

/** Whether the deployment is served over https (from `http.publicUrl`). */
export function isHttpsDeployment(config: Config): boolean {
	return config.http.publicUrl?.startsWith("https://") ?? false;
}

/** Derives the cookie settings from the config. */
export function cookieSettings(config: Config): CookieSettings {
	const secure = isHttpsDeployment(config);
	const prefix = secure ? "__Host-" : "";
	const domain = config.session.cookieDomain;
	const options = (maxAgeSeconds?: number): CookieSerializeOptions => {
		const base: CookieSerializeOptions = { path: "/", httpOnly: true, sameSite: "lax", secure };
		return maxAgeSeconds === undefined ? base : { ...base, maxAge: maxAgeSeconds };
	};
	return Object.freeze({
		secure,
		sessionName: `${prefix}deadbolt_session`,
		challengeName: `${prefix}deadbolt_login_challenge`,
		csrfName: `${prefix}deadbolt_csrf`,
		trustedDeviceName: `${prefix}deadbolt_trusted_device`,
		forwardAuthName: `${domain === null ? prefix : secure ? "__Secure-" : ""}deadbolt_forward_auth`,
		returnName: `${prefix}deadbolt_return`,
		options,
		forwardAuthOptions(maxAgeSeconds?: number): CookieSerializeOptions {
			return domain === null ? options(maxAgeSeconds) : { ...options(maxAgeSeconds), domain };
		},
	});
}

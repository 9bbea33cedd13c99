/**
 * Paths people type (`/login`, `/sign-up`, `/security`, ...) and where each leads: a fixed
 * dashboard page (issue 10 item 8). Consulted only for a GET or HEAD that matched no route, so a
 * real page added later at one of these paths simply wins.
 *
 * No open redirect: a target is always one of the constant paths below, chosen by looking the
 * typed path up in a fixed table; nothing of the request's URL is ever copied into `Location`.
 */
import { PATHS } from "./layout.js";

/** The pages a typed path can lead to. */
const TARGETS = Object.freeze({
	signIn: PATHS.signIn,
	signUp: PATHS.signUp,
	// Signing out is a POST with the form token (a link must never sign anyone out): the account
	// page has the button.
	home: PATHS.home,
	security: PATHS.security,
	twoFactor: PATHS.securityTwoFactor,
	password: PATHS.password,
	sessions: PATHS.securitySessions,
	activity: PATHS.securityActivity,
});

/** Typed names (lower case, no slashes around) and their target, at the root and under `/dashboard/`. */
const NAMES: Readonly<Record<string, keyof typeof TARGETS>> = Object.freeze({
	login: "signIn",
	"log-in": "signIn",
	signin: "signIn",
	"sign-in": "signIn",
	logon: "signIn",
	signup: "signUp",
	"sign-up": "signUp",
	register: "signUp",
	join: "signUp",
	"create-account": "signUp",
	logout: "home",
	"log-out": "home",
	signout: "home",
	"sign-out": "home",
	account: "home",
	"my-account": "home",
	profile: "home",
	home: "home",
	dashboard: "home",
	security: "security",
	settings: "security",
	"settings/security": "security",
	"account/security": "security",
	password: "password",
	"change-password": "password",
	"2fa": "twoFactor",
	mfa: "twoFactor",
	"two-factor": "twoFactor",
	totp: "twoFactor",
	authenticator: "twoFactor",
	"recovery-codes": "twoFactor",
	sessions: "sessions",
	devices: "sessions",
	activity: "activity",
});

/** Every typed path (lower case, without a trailing slash) and its target. */
export const TYPED_PATHS: ReadonlyMap<string, string> = new Map(
	Object.entries(NAMES).flatMap(([name, target]) => [
		[`/${name}`, TARGETS[target]],
		[`/dashboard/${name}`, TARGETS[target]],
	]),
);

/**
 * Where a typed path leads, or null.
 * @param method - only GET and HEAD are led anywhere (a form posted to a wrong path is not resent elsewhere)
 * @param url - the request's URL as sent (`request.url`); its query is ignored, one or more trailing
 *   slashes and upper case are forgiven
 * @returns one of the fixed dashboard paths, never text from `url`
 */
export function typedPathTarget(method: string, url: string): string | null {
	if (method !== "GET" && method !== "HEAD") return null;
	const path = (url.split(/[?#]/, 1)[0] ?? "").toLowerCase();
	const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
	return TYPED_PATHS.get(trimmed) ?? null;
}

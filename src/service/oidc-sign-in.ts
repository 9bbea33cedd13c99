/**
 * Whether a deadbolt session may finish an OpenID Connect authorization for a client, and if not,
 * what the user must do first (issue 13 item 3): deadbolt enforces the client's `minimumAal`,
 * `acr_values` and `max_age`, and the client's groups and accounts, not the app.
 *
 * The same assurance model as the forward-auth `two_factor` rule (`service/access.ts`): AAL2 needs
 * a second factor in the session *and* the account's second factor confirmed by a mailed link, so
 * a stolen password that enrolled its own authenticator never reaches an aal2 app. The `acr` said
 * in tokens is that honest level.
 */
import { aalAskedBy, acrOf, amrList } from "../domain/access/authentication-methods.js";
import type { ServiceDeps } from "./deps.js";
import type { OidcClient } from "./oidc-clients.js";
import type { AuthenticatedSession } from "./sessions.js";

/** What an authorization asks for beyond the client's settings. */
export interface OidcSignInRequest {
	/** From `acr_values` (`domain/access/authentication-methods.ts` `aalAskedBy`). */
	readonly aalAsked: 1 | 2;
	/** OpenID Connect Core §3.1.2.1 `max_age`, in seconds; null: none. */
	readonly maxAgeSeconds: number | null;
	/** When the authorization request began (Unix ms): a sign-in or step-up since then satisfies any `max_age`. */
	readonly startedAt: number;
}

/** What the provider puts in tokens about the sign-in. */
export interface OidcAuthentication {
	readonly accountId: string;
	/** `urn:deadbolt:aal1` or `urn:deadbolt:aal2`. */
	readonly acr: string;
	/** RFC 8176 values (`pwd`, `otp`, `mfa`; deadbolt's `rc` recovery code, `dev` remembered device, `link` sign-in link). */
	readonly amr: readonly string[];
	/** `auth_time`: when the session last proved its factors, in seconds since the epoch. */
	readonly authTimeSeconds: number;
}

/** The decision. */
export type OidcSignInOutcome =
	| { readonly kind: "allow"; readonly authentication: OidcAuthentication }
	/** The client is not for this account (its groups or accounts): a page says so. */
	| { readonly kind: "not_allowed" }
	/** The address must be verified first (any client: an unverified address may be a stranger's). */
	| { readonly kind: "verify_email" }
	/** AAL2 asked, 2FA off: set it up. */
	| { readonly kind: "set_up_two_factor" }
	/** AAL2 asked and 2FA on, but the session has no second factor, or `max_age` passed: password and a fresh code. */
	| { readonly kind: "step_up" }
	/** AAL2 asked: the second factor is not yet confirmed by a mailed link. */
	| { readonly kind: "confirm_two_factor" }
	/** `max_age` passed (or `prompt=login`) for an account without 2FA at an aal1 client: the password again. */
	| { readonly kind: "reauthenticate" };

/** The honest assurance level of a session: 2 only with a second factor in it and confirmed by mail. */
export function sessionAssurance(auth: AuthenticatedSession): 1 | 2 {
	return auth.session.aal >= 2 && auth.account.secondFactorMailConfirmedAt !== null ? 2 : 1;
}

/** `auth_time` of a session, in seconds: its last proof of factors (sign-in or re-authentication). */
export function authTimeSecondsOf(auth: AuthenticatedSession): number {
	return Math.floor(auth.session.reauthenticatedAt / 1000);
}

/** Whether the account may use the client (its `groups` and `accounts`; a verified address only). */
export function clientAllows(client: OidcClient, auth: AuthenticatedSession): boolean {
	if (client.groups === null && client.accounts === null) return true;
	if (client.groups?.some((group) => auth.account.groups.includes(group)) === true) return true;
	return auth.account.emailVerifiedAt !== null && client.accounts?.includes(auth.account.email.toLowerCase()) === true;
}

/** Decides; reads whether 2FA is on only when it matters. */
export async function decideOidcSignIn(deps: ServiceDeps, auth: AuthenticatedSession, client: OidcClient, request: OidcSignInRequest): Promise<OidcSignInOutcome> {
	if (!clientAllows(client, auth)) return { kind: "not_allowed" };
	// An address not proven by a mailed link is perhaps someone else's (anyone can sign up with it):
	// no app gets it in an `email` claim, whatever its `minimumAal` (forward-auth answers `verify_email` alike).
	if (auth.account.emailVerifiedAt === null) return { kind: "verify_email" };
	const needed = Math.max(client.minimumAal, request.aalAsked) as 1 | 2;
	const { session, account } = auth;
	if (needed === 2) {
		if (session.aal < 2) {
			const twoFactor = (await deps.store.totpCredentials.findConfirmedTOTPCredential(account.id)) !== null;
			return { kind: twoFactor ? "step_up" : "set_up_two_factor" };
		}
		if (account.secondFactorMailConfirmedAt === null) return { kind: "confirm_two_factor" };
	}
	if (request.maxAgeSeconds !== null) {
		const fresh = session.reauthenticatedAt >= request.startedAt || deps.clock.now() - session.reauthenticatedAt <= request.maxAgeSeconds * 1000;
		if (!fresh) {
			const twoFactor = session.aal >= 2 || (await deps.store.totpCredentials.findConfirmedTOTPCredential(account.id)) !== null;
			return { kind: twoFactor ? "step_up" : "reauthenticate" };
		}
	}
	const aal = sessionAssurance(auth);
	return { kind: "allow", authentication: { accountId: account.id, acr: acrOf(aal), amr: amrList(session.amr), authTimeSeconds: authTimeSecondsOf(auth) } };
}

/**
 * An authorization request's parameters as {@link decideOidcSignIn} reads them.
 * @param params - the authorization request's parameters (`acr_values`, `max_age`: OpenID Connect Core §3.1.2.1)
 * @param startedAtSeconds - when the request's interaction began (the interaction's `iat`); null: no interaction yet (the request itself)
 */
export function signInRequestOf(params: Readonly<Record<string, unknown>>, startedAtSeconds: number | null): OidcSignInRequest {
	const acrValues = typeof params["acr_values"] === "string" ? params["acr_values"] : null;
	const maxAge = params["max_age"];
	// `prompt=login` (OpenID Connect Core §3.1.2.1): authenticate again, as max_age=0 does.
	const promptLogin = typeof params["prompt"] === "string" && params["prompt"].split(" ").includes("login");
	// Read as the library reads it (`+max_age`, a safe integer >= 0: `1e0`, `1.0` and ` 1` are 1): a
	// value it enforces with a login prompt is never one deadbolt then ignores.
	const asNumber = typeof maxAge === "number" ? maxAge : typeof maxAge === "string" && maxAge.trim() !== "" ? Number(maxAge) : Number.NaN;
	const maxAgeSeconds = promptLogin ? 0 : Number.isSafeInteger(asNumber) && asNumber >= 0 ? asNumber : null;
	return { aalAsked: aalAskedBy(acrValues), maxAgeSeconds, startedAt: startedAtSeconds === null ? Number.POSITIVE_INFINITY : startedAtSeconds * 1000 };
}

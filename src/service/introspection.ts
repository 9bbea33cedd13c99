/**
 * Introspection for backends (issue 12 item 8; in the spirit of RFC 7662 "OAuth 2.0 Token
 * Introspection": `active`, and who the token stands for): a backend behind the proxy, or one
 * reached without it, asks whether a token it was given is live, and whose it is. Authenticated
 * with one of `keys.introspectionKeys` (apart from the admin key). Nothing is cached: an ended
 * session or a revoked token is `{active: false}` on the very next call.
 */
import { secretKeyMatches } from "../domain/crypto/constant-time.js";
import { hasAccessTokenPrefix } from "../domain/crypto/token.js";
import { NotFound, Unauthenticated } from "../errors.js";
import type { UnixMillis } from "../platform/clock.js";
import { accessTokenIdentity, sessionIdentity, type AccessIdentity } from "./access.js";
import { validateAccessToken } from "./access-tokens.js";
import type { ServiceDeps } from "./deps.js";
import { validateSessionOrForwardAuthToken } from "./forward-auth-sessions.js";
import type { AuthenticatedSession } from "./sessions.js";

/** The answer for a live token. */
export interface ActiveIntrospection {
	readonly active: true;
	readonly account: { readonly id: string; readonly email: string; readonly emailVerified: boolean; readonly groups: readonly string[] };
	/** The session the token stands for (a session token or the forward-auth cookie's token); null for a personal access token. */
	readonly session: { readonly id: string; readonly aal: "aal1" | "aal2"; readonly amr: readonly string[]; readonly authTime: UnixMillis; readonly secondFactorAt: UnixMillis | null } | null;
	/** The personal access token (its assurance, fixed when it was made; `amr` `["pat"]`); null for a session. */
	readonly accessToken: { readonly id: string; readonly aal: "aal1" | "aal2"; readonly amr: readonly string[]; readonly createdAt: UnixMillis } | null;
}

/** `{active: false}` says nothing more: unknown, malformed, ended, expired and revoked tokens look the same. */
export type Introspection = ActiveIntrospection | { readonly active: false };

/**
 * Checks a backend's introspection key.
 * @throws NotFound when `keys.introspectionKeys` is empty (introspection is off)
 * @throws Unauthenticated when the key is missing or not one of them (compared in constant time)
 */
export function verifyIntrospectionKey(deps: Pick<ServiceDeps, "config">, presented: string | null): void {
	const keys = deps.config.keys.introspectionKeys;
	if (keys.length === 0) throw new NotFound("Not found.", { reason: "introspection_off" });
	// Every key is compared, so the time does not say which one matched.
	let matched = false;
	for (const key of keys) if (presented !== null && secretKeyMatches(presented, key)) matched = true;
	if (!matched) throw new Unauthenticated("The introspection key is missing or wrong.", { reason: "introspection_key" });
}

/**
 * Whether `token` is live, and whose it is.
 * @param token - a session token, the forward-auth cookie's token, or a personal access token (`dbpat_`: any host; `session` is then null)
 */
export async function introspect(deps: ServiceDeps, token: string): Promise<Introspection> {
	if (hasAccessTokenPrefix(token)) {
		const result = await validateAccessToken(deps, token, null);
		return result.kind === "valid" ? activeOf(accessTokenIdentity(result.token, result.account), result.account.emailVerifiedAt !== null) : { active: false };
	}
	const auth = await live(() => validateSessionOrForwardAuthToken(deps, token));
	if (auth === null) return { active: false };
	return activeOf(sessionIdentity(auth), auth.account.emailVerifiedAt !== null);
}

/** The answer for a live identity. */
export function activeOf(identity: AccessIdentity, emailVerified: boolean): ActiveIntrospection {
	return {
		active: true,
		account: { id: identity.accountId, email: identity.email, emailVerified, groups: identity.groups },
		session:
			identity.sessionId === null
				? null
				: { id: identity.sessionId, aal: identity.aal, amr: identity.amr, authTime: identity.authTime, secondFactorAt: identity.secondFactorAt },
		accessToken: identity.accessTokenId === null ? null : { id: identity.accessTokenId, aal: identity.aal, amr: identity.amr, createdAt: identity.authTime },
	};
}

async function live(validate: () => Promise<AuthenticatedSession>): Promise<AuthenticatedSession | null> {
	try {
		return await validate();
	} catch (error) {
		if (error instanceof Unauthenticated) return null;
		throw error;
	}
}

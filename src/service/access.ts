/**
 * Forward-auth decisions (issue 12, DESIGN.md §3.10): the original request and what the browser or
 * client presented (the forward-auth cookie, or a personal access token) become one outcome: allow
 * (with who it is), sign in, step up, set up 2FA, verify the address, or deny. Nothing is cached:
 * every request reads the session (or token) and its account, so an ended session is refused on
 * the very next request, on every instance.
 */
import { compileNetworkMatcher, expandNetworkKeyword } from "../domain/access/network-matcher.js";
import { normalizeHost } from "../domain/access/domain-matcher.js";
import { ambiguousPathReason, canonicalPath, decodedPath } from "../domain/access/request-path.js";
import { compileAccessRules, type AccessDecision, type AccessRequest, type CompiledAccessRules } from "../domain/access/access-rules.js";
import type { AccessSubject } from "../domain/access/subject-matcher.js";
import { amrList } from "../domain/access/authentication-methods.js";
import { ForwardedRequestInvalid, Unauthenticated } from "../errors.js";
import type { UnixMillis } from "../platform/clock.js";
import type { Config } from "../config/schema.js";
import type { ServiceDeps } from "./deps.js";
import { secondsToMillis } from "./deps.js";
import { noteAppUse } from "./connected-apps.js";
import { validateForwardAuthSession } from "./forward-auth-sessions.js";
import type { AuthenticatedSession } from "./sessions.js";
import { validateAccessToken } from "./access-tokens.js";
import type { AccessTokenRecord, AccountRecord } from "../storage/store.js";

/** What the request presented. */
export type AccessCredential =
	/** The forward-auth cookie (`service/forward-auth-sessions.ts`). */
	| { readonly kind: "forward_auth_cookie"; readonly token: string }
	/** A personal access token (`Authorization: Bearer` or `Proxy-Authorization: Bearer`). */
	| { readonly kind: "access_token"; readonly token: string };

/** Who is allowed through, as the identity headers, the assertion and introspection say it. */
export interface AccessIdentity {
	readonly accountId: string;
	/** Always a verified address (an unverified account passes only `bypass` rules). */
	readonly email: string;
	readonly groups: readonly string[];
	readonly aal: "aal1" | "aal2";
	/** Authentication methods (`domain/access/authentication-methods.ts`). */
	readonly amr: readonly string[];
	/** The session; null for a personal access token. */
	readonly sessionId: string | null;
	/** The personal access token; null for a session. */
	readonly accessTokenId: string | null;
	/** When the session was signed in to (for a token: when it was created). */
	readonly authTime: UnixMillis;
	/** When a second factor was last typed in the session; null: never (or a token). */
	readonly secondFactorAt: UnixMillis | null;
}

/** Why a request is denied. */
export type DenyReason =
	/** A `deny` rule, or the default policy. */
	| "rule"
	/** A personal access token for a host it was not made for. */
	| "token_host"
	/** A personal access token where the rule asks for a second factor it cannot prove (AAL1 token, or a recent-code rule). */
	| "token_assurance"
	/** A personal access token at a `two_factor` rule while the account's authenticator is not confirmed by mail. */
	| "token_unconfirmed_second_factor";

/** The decision for one forward-auth request. */
export type AccessOutcome =
	| { readonly kind: "allow"; readonly decision: AccessDecision; readonly identity: AccessIdentity | null }
	/** Nobody (valid) is signed in: the browser goes to the sign-in page, an API client gets 401. */
	| { readonly kind: "sign_in"; readonly decision: AccessDecision; readonly reason: "none" | "refused" }
	/** Signed in, but the rule asks for a (more recent) second factor. */
	| { readonly kind: "step_up"; readonly decision: AccessDecision; readonly identity: AccessIdentity }
	/** Signed in with an account without 2FA where a rule asks for it. */
	| { readonly kind: "set_up_two_factor"; readonly decision: AccessDecision; readonly identity: AccessIdentity }
	/**
	 * Signed in at AAL2, where a `two_factor` rule asks for it, with an authenticator not yet
	 * confirmed by a mailed link (`service/two-factor-mail-confirmation.ts`).
	 */
	| { readonly kind: "confirm_two_factor"; readonly decision: AccessDecision; readonly identity: AccessIdentity }
	/** Signed in with an unverified address. */
	| { readonly kind: "verify_email"; readonly decision: AccessDecision; readonly accountId: string }
	| { readonly kind: "deny"; readonly decision: AccessDecision; readonly reason: DenyReason };

/** The original request a proxy asks about, as the rules see it, and its URL (for `rd`). */
export interface OriginalRequest {
	readonly access: AccessRequest;
	/**
	 * The same request under the other paths an app may read, each when it differs from the
	 * canonical path of `access`: the path as WHATWG URL parsing left it (`/%61dmin`, `/admin;x`,
	 * `//admin`: an app that reads the path literally), and the path percent-decoded
	 * (`/admin%2Fx` is `/admin/x` to Django, Flask or Go's old ServeMux). A request passes only
	 * when every reading passes.
	 */
	readonly otherPaths: readonly AccessRequest[];
	/** The absolute original URL, normalized by WHATWG URL parsing. */
	readonly url: string;
}

/**
 * The original request from what the proxy said.
 * @param text - the absolute original URL (`X-Original-URL`, or built from `X-Forwarded-Proto`, `-Host`, `-Uri`)
 * @param method - the upper-case original method
 * @param clientAddress - the client's address (the proxy's `X-Forwarded-For`), null when unknown
 * @throws ForwardedRequestInvalid when the URL does not parse, carries user info, or its host is not a host name;
 *   or when its path is one that apps resolve differently (`domain/access/request-path.ts`: dot segments,
 *   backslashes, a fragment, control characters), so that no rule could judge it for every app
 */
export function originalRequest(text: string, method: string, clientAddress: string | null): OriginalRequest {
	// The target as the proxy passed it (after `scheme://authority`): WHATWG parsing below resolves
	// `..` and reads `\` as `/`, which the app behind the proxy may not do.
	const rawTarget = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\\]*(.*)$/is.exec(text)?.[1] ?? "";
	const ambiguous = ambiguousPathReason(rawTarget);
	if (ambiguous !== null) throw new ForwardedRequestInvalid("The original path is one that servers resolve differently (dot segments, backslashes, a fragment): refused.", { reason: `ambiguous_path_${ambiguous}` });
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new ForwardedRequestInvalid("The original URL is not a URL.", { reason: "bad_url" });
	}
	const host = url.username === "" && url.password === "" ? normalizeHost(url.host) : null;
	if (host === null) throw new ForwardedRequestInvalid("The original host is not a host name.", { reason: "bad_host" });
	const access = { host, pathAndQuery: `${canonicalPath(url.pathname)}${url.search}`, method, clientAddress };
	const others = [...new Set([`${url.pathname}${url.search}`, `${decodedPath(url.pathname)}${url.search}`])].filter((pathAndQuery) => pathAndQuery !== access.pathAndQuery);
	return { access, otherPaths: others.map((pathAndQuery) => ({ ...access, pathAndQuery })), url: url.href };
}

const compiled = new WeakMap<Config["accessControl"], CompiledAccessRules>();

/** The rules of the config, compiled once per config (`domain/access/access-rules.ts`). */
export function accessRulesOf(deps: Pick<ServiceDeps, "config">): CompiledAccessRules {
	let rules = compiled.get(deps.config.accessControl);
	if (rules === undefined) {
		rules = compileAccessRules(deps.config.accessControl);
		compiled.set(deps.config.accessControl, rules);
	}
	return rules;
}

/** The identity of a live session. */
export function sessionIdentity(auth: AuthenticatedSession): AccessIdentity {
	return {
		accountId: auth.account.id,
		email: auth.account.email,
		groups: auth.account.groups,
		aal: auth.session.aal >= 2 ? "aal2" : "aal1",
		amr: amrList(auth.session.amr),
		sessionId: auth.session.id,
		accessTokenId: null,
		authTime: auth.session.createdAt,
		secondFactorAt: auth.session.secondFactorAt,
	};
}

/** The `amr` of every personal access token: deadbolt's own value (`domain/access/authentication-methods.ts`). */
export const ACCESS_TOKEN_AMR: readonly string[] = Object.freeze(["pat"]);

/**
 * The identity of a live personal access token: its account, the assurance it was created with,
 * `amr` {@link ACCESS_TOKEN_AMR}, no session (`sessionId` null, `accessTokenId` set), `authTime`
 * its creation, and no second factor time (a token never proves a recent code).
 */
export function accessTokenIdentity(token: AccessTokenRecord, account: AccountRecord): AccessIdentity {
	return {
		accountId: account.id,
		email: account.email,
		groups: account.groups,
		aal: token.aal >= 2 ? "aal2" : "aal1",
		amr: ACCESS_TOKEN_AMR,
		sessionId: null,
		accessTokenId: token.id,
		authTime: token.createdAt,
		secondFactorAt: null,
	};
}

/**
 * Who asks, as the rules see it: an unverified address matches no `accounts` entry (anyone can
 * sign up with someone else's address; it is theirs only once a mailed link proved it).
 */
export function accessSubjectOf(email: string, groups: readonly string[], emailVerified: boolean): AccessSubject {
	return { email: emailVerified ? email : "", groups };
}

/**
 * Decides a forward-auth request. Rules are evaluated first for an anonymous caller: a `bypass` or
 * `deny` that does not depend on who asks costs no database read. The credential is resolved at
 * most once, whatever the number of readings.
 * @param credential - what the request presented; null: nothing
 * @param otherReadings - other ways the app may read the same request (another form of its path,
 *   HEAD as GET, a method override; same host): each must be allowed too, and the first refusal, in
 *   order, is the answer. An allowed request's outcome is that of `request`.
 */
export async function decideAccess(deps: ServiceDeps, request: AccessRequest, credential: AccessCredential | null, otherReadings: readonly AccessRequest[] = []): Promise<AccessOutcome> {
	let caller: Promise<Caller> | undefined;
	const callerOnce = (presented: AccessCredential): Promise<Caller> => (caller ??= resolveCaller(deps, presented, request));
	let first: AccessOutcome | null = null;
	for (const reading of [request, ...otherReadings]) {
		const outcome = await decideReading(deps, reading, credential, callerOnce);
		if (outcome.kind !== "allow") return outcome;
		first ??= outcome;
	}
	const allowed = first as AccessOutcome & { readonly kind: "allow" };
	// The session's "connected apps" record notes the host (at most once a minute).
	if (allowed.identity?.sessionId != null) await noteAppUse(deps, allowed.identity.sessionId, request.host);
	return allowed;
}

/** Who presented the credential, as every reading of one request sees it. */
type Caller =
	/** Not a live session or token (any reason: logged). */
	| { readonly kind: "refused" }
	/** A live personal access token, not made for this host. */
	| { readonly kind: "token_host" }
	| {
			readonly kind: "known";
			readonly identity: AccessIdentity;
			readonly emailVerified: boolean;
			/** Whether a mailed link confirmed the account's second factor (what `two_factor` rules need beyond AAL2). */
			readonly secondFactorMailConfirmed: boolean;
			readonly viaAccessToken: boolean;
	  };

/** Resolves a credential: the forward-auth cookie's session, or a personal access token for the request's host. */
async function resolveCaller(deps: ServiceDeps, credential: AccessCredential, request: AccessRequest): Promise<Caller> {
	if (credential.kind === "forward_auth_cookie") {
		const auth = await resolveSession(deps, credential);
		if (auth === null) return { kind: "refused" };
		return { kind: "known", identity: sessionIdentity(auth), emailVerified: auth.account.emailVerifiedAt !== null, secondFactorMailConfirmed: auth.account.secondFactorMailConfirmedAt !== null, viaAccessToken: false };
	}
	const validation = await validateAccessToken(deps, credential.token, request.host, request.clientAddress);
	if (validation.kind === "refused") {
		deps.logger.info({ event: "access_token.refused", reason: validation.reason }, "personal access token refused");
		return { kind: "refused" };
	}
	if (validation.kind === "host_not_covered") {
		deps.logger.info({ event: "access_token.refused", reason: "token_host", accessTokenId: validation.token.id, accountId: validation.account.id }, "personal access token used for a host it was not made for");
		return { kind: "token_host" };
	}
	const { account } = validation;
	return { kind: "known", identity: accessTokenIdentity(validation.token, account), emailVerified: account.emailVerifiedAt !== null, secondFactorMailConfirmed: account.secondFactorMailConfirmedAt !== null, viaAccessToken: true };
}

/**
 * One reading of a request. A personal access token is refused (`sign_in`, reason `refused`) when
 * it is not a live one, and denied `token_host` at a host it was not made for (whatever the rules);
 * then the rule decides as for a session, except that a `two_factor` rule is denied
 * `token_assurance` to an `aal1` token, and a rule with `maxSecondFactorAgeSeconds` to every token
 * (it cannot prove a recent code, and a browser step-up would not help a program). Nothing about a
 * token ever sends anyone to a sign-in, step-up or 2FA setup page.
 *
 * A `two_factor` rule also needs the account's second factor confirmed by a mailed link (issue 12:
 * a stolen password alone must not enroll its own authenticator and pass): a session at AAL2
 * without it is sent to confirm it (`confirm_two_factor`), a token is denied
 * `token_unconfirmed_second_factor`.
 */
async function decideReading(deps: ServiceDeps, request: AccessRequest, credential: AccessCredential | null, callerOf: (credential: AccessCredential) => Promise<Caller>): Promise<AccessOutcome> {
	const rules = accessRulesOf(deps);
	const anonymous = rules.decide(request, null);
	if (!anonymous.needsSubject && anonymous.policy === "bypass") return { kind: "allow", decision: anonymous, identity: null };
	if (!anonymous.needsSubject && anonymous.policy === "deny") return { kind: "deny", decision: anonymous, reason: "rule" };
	if (credential === null) return { kind: "sign_in", decision: anonymous, reason: "none" };
	const caller = await callerOf(credential);
	if (caller.kind === "refused") return { kind: "sign_in", decision: anonymous, reason: "refused" };
	if (caller.kind === "token_host") return { kind: "deny", decision: anonymous, reason: "token_host" };
	const { identity } = caller;
	const decision = rules.decide(request, accessSubjectOf(identity.email, identity.groups, caller.emailVerified));
	if (decision.policy === "bypass") return { kind: "allow", decision, identity: null };
	if (decision.policy === "deny") return { kind: "deny", decision, reason: "rule" };
	if (!caller.emailVerified) return { kind: "verify_email", decision, accountId: identity.accountId };
	if (decision.policy === "one_factor") return { kind: "allow", decision, identity };
	if (caller.viaAccessToken) {
		// two_factor: a token proves no recent code, and only an aal2 token proves a second factor at all.
		if (decision.maxSecondFactorAgeSeconds !== null || identity.aal !== "aal2") return { kind: "deny", decision, reason: "token_assurance" };
		return caller.secondFactorMailConfirmed ? { kind: "allow", decision, identity } : { kind: "deny", decision, reason: "token_unconfirmed_second_factor" };
	}
	if (identity.aal !== "aal2") {
		const twoFactor = (await deps.store.totpCredentials.findConfirmedTOTPCredential(identity.accountId)) !== null;
		return { kind: twoFactor ? "step_up" : "set_up_two_factor", decision, identity };
	}
	if (!caller.secondFactorMailConfirmed) return { kind: "confirm_two_factor", decision, identity };
	if (decision.maxSecondFactorAgeSeconds !== null && !provedSince(deps, identity.secondFactorAt, decision.maxSecondFactorAgeSeconds)) {
		return { kind: "step_up", decision, identity };
	}
	return { kind: "allow", decision, identity };
}

/** Whether a second factor was typed within the last `maxAgeSeconds` (a remembered device never counts). */
function provedSince(deps: ServiceDeps, secondFactorAt: UnixMillis | null, maxAgeSeconds: number): boolean {
	return secondFactorAt !== null && deps.clock.now() - secondFactorAt <= secondsToMillis(maxAgeSeconds);
}

/** The live session behind a forward-auth cookie; null when it is not one (any reason: logged by the caller's outcome). */
async function resolveSession(deps: ServiceDeps, credential: AccessCredential & { readonly kind: "forward_auth_cookie" }): Promise<AuthenticatedSession | null> {
	try {
		return await validateForwardAuthSession(deps, credential.token);
	} catch (error) {
		if (error instanceof Unauthenticated) return null;
		throw error;
	}
}

const trustedProxyMatchers = new WeakMap<readonly string[], (address: string | null) => boolean>();

/**
 * Whether the connection comes from a proxy listed in `http.trustedProxies` (addresses, CIDRs, or
 * `loopback`, `linklocal`, `uniquelocal`): only such a proxy is believed about the original request.
 * @param socketAddress - the TCP peer's address (never a forwarded one)
 */
export function isTrustedProxy(deps: Pick<ServiceDeps, "config">, socketAddress: string | null): boolean {
	const listed = deps.config.http.trustedProxies;
	let matcher = trustedProxyMatchers.get(listed);
	if (matcher === undefined) {
		const networks = listed.flatMap(expandNetworkKeyword);
		matcher = listed.length === 0 ? () => false : compileNetworkMatcher(networks);
		trustedProxyMatchers.set(listed, matcher);
	}
	return matcher(socketAddress);
}

/**
 * Where to send a browser back to after signing in (`rd`): the URL itself when it is absolute,
 * with the scheme of `http.publicUrl` (http when unset), no user name or password, and a host that
 * a rule other than `deny` names (exactly, or under its `*.`; no final dot); any port. Anything else: null (the
 * dashboard then goes home). Against open redirects (OWASP ASVS 5.0 v3.7 / CWE-601). The host must
 * also be one the forward-auth cookie reaches (under `session.cookieDomain`, or deadbolt's own host
 * without it): else the app would send the browser straight back, in a loop.
 * @param rd - the `rd` parameter as received
 */
export function returnTarget(deps: Pick<ServiceDeps, "config">, rd: string): string | null {
	if (rd.length > 4_096) return null;
	let url: URL;
	try {
		url = new URL(rd);
	} catch {
		return null;
	}
	if (isOidcInteractionUrl(deps, url)) return url.href;
	const scheme = deps.config.http.publicUrl?.startsWith("https://") ? "https:" : "http:";
	// A final dot names the same DNS name but another origin, one the forward-auth cookie does not reach.
	if (url.protocol !== scheme || url.username !== "" || url.password !== "" || url.hostname.endsWith(".")) return null;
	const host = normalizeHost(url.host);
	if (host === null || !accessRulesOf(deps).coversHost(host) || !forwardAuthCookieReaches(deps, host)) return null;
	return url.href;
}

/** The path of an OpenID Connect interaction (`oidc/interactions.ts`): the provider's uid, nothing else. */
const OIDC_INTERACTION_PATH = /^\/oidc\/interaction\/[A-Za-z0-9_-]{1,64}$/;

/**
 * Whether `url` is an OpenID Connect sign-in under way on deadbolt's own origin (`http.publicUrl`):
 * the dashboard returns there after signing in, a step-up, or the 2FA setup, like to an app.
 */
function isOidcInteractionUrl(deps: Pick<ServiceDeps, "config">, url: URL): boolean {
	const publicUrl = deps.config.http.publicUrl;
	return publicUrl !== null && url.origin === new URL(publicUrl).origin && OIDC_INTERACTION_PATH.test(url.pathname) && url.search === "" && url.hash === "" && url.username === "" && url.password === "";
}

/**
 * The CSP host sources (`form-action`) of every return target {@link returnTarget} may accept: the
 * domains of the rules that are not `deny`, with the public URL's scheme and any port
 * (`https://app.example.test:*`, `https://*.example.test:*`). CSP Level 3 §2.3.2 host-source.
 */
export function returnTargetSources(deps: Pick<ServiceDeps, "config">): string[] {
	const scheme = deps.config.http.publicUrl?.startsWith("https://") ? "https" : "http";
	const domains = deps.config.accessControl.rules.filter((rule) => rule.policy !== "deny").flatMap((rule) => rule.domains);
	// A sign-in through OpenID Connect ends in a redirect (after the form's POST) to the app's redirect URI.
	const clientOrigins = deps.config.oidc.clients.flatMap((client) => [...client.redirectUris, ...(client.postLogoutRedirectUris ?? [])]).map((uri) => new URL(uri).origin);
	return [...new Set([...domains.map((domain) => `${scheme}://${domain}:*`), ...clientOrigins])];
}

/** Whether the forward-auth cookie is sent to `host`: on `session.cookieDomain` and below, or on deadbolt's own host (any port) without one. */
function forwardAuthCookieReaches(deps: Pick<ServiceDeps, "config">, host: string): boolean {
	const domain = deps.config.session.cookieDomain;
	if (domain !== null) return host === domain || host.endsWith(`.${domain}`);
	const publicUrl = deps.config.http.publicUrl;
	return publicUrl === null || normalizeHost(new URL(publicUrl).host) === host;
}

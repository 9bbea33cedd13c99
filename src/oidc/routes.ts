/**
 * The OpenID Connect provider's way in (issue 13): mounts `oidc-provider` on deadbolt's HTTP app
 * for `/oidc/*` and `/.well-known/openid-configuration`, and deadbolt's interaction routes
 * (`oidc/interactions.ts`). Loaded by `app.ts` only when the provider is on (`oidc.clients` not empty, or `oidc.enabled`), so a
 * deadbolt without clients has no provider route at all (and Node 20 never sees the library's
 * "unsupported runtime" notice).
 *
 * The provider reads its own bodies: its routes sit in a context without Fastify's body parsers.
 * The deadbolt session of an authorization request is resolved here, from the dashboard's session
 * cookie only (never a bearer token), for the policy (`oidc/request-session.ts`).
 * RP-initiated logout that the user confirms ("Sign out") ends the deadbolt session too, which
 * ends every app of that session (back-channel logout through the outbox).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { KoaContextWithOIDC } from "oidc-provider";
import type { Deadbolt } from "../deadbolt.js";
import { Unauthenticated } from "../errors.js";
import type { CookieSettings } from "../http/cookies.js";
import { sessionCookieClearings } from "../http/session-cookies.js";
import type { AuthenticatedSession } from "../service/sessions.js";
import { registerInteractionRoutes } from "./interactions.js";
import { createOidcProvider, OIDC_ROUTES } from "./provider.js";
import { rememberRequestSession } from "./request-session.js";

/** Options of {@link oidcRoutes}. */
export interface OidcRouteOptions {
	readonly deadbolt: Deadbolt;
	readonly cookies: CookieSettings;
}

/** The path of discovery (OpenID Connect Discovery 1.0 §4). */
export const DISCOVERY_PATH = "/.well-known/openid-configuration";

/** The provider's routes that start or resume an authorization: they need the browser's deadbolt session. */
const AUTHORIZATION_PATH = new RegExp(`^${OIDC_ROUTES.authorization}(/|$|\\?)`);

/** The live session of the dashboard's session cookie, or null. */
function cookieSession(deadbolt: Deadbolt, cookies: CookieSettings, request: FastifyRequest): Promise<AuthenticatedSession | null> {
	const token = request.cookies[cookies.sessionName];
	return typeof token !== "string" || token === "" ? Promise.resolve(null) : sessionOfToken(deadbolt, token);
}

/** The live session of a session token, or null. */
async function sessionOfToken(deadbolt: Deadbolt, token: string): Promise<AuthenticatedSession | null> {
	try {
		return await deadbolt.validateSession(token);
	} catch (error) {
		if (error instanceof Unauthenticated) return null;
		throw error;
	}
}

/**
 * Pins the scheme, host and client address the provider reads of a request (Koa's `ctx.href`,
 * `ctx.secure`, `ctx.ip`; the provider trusts `X-Forwarded-*`, `oidc/provider.ts`) to
 * `http.publicUrl` and to the address Fastify resolved under `http.trustedProxies`. oidc-provider
 * builds every URL it hands out (discovery's endpoints, its forms' actions) from the request's
 * scheme and host; deadbolt's endpoints are on the public URL, the issuer's origin, whatever the
 * request says: a Host or X-Forwarded-Host of a client's choosing never lands in discovery (where
 * an app would send its client secret), and every instance answers alike.
 */
function pinToPublicUrl(request: FastifyRequest, publicUrl: URL): void {
	const headers = request.raw.headers;
	headers.host = publicUrl.host;
	headers["x-forwarded-host"] = publicUrl.host;
	headers["x-forwarded-proto"] = publicUrl.protocol.slice(0, -1);
	headers["x-forwarded-for"] = request.ip;
}

/** The provider and the interaction routes, registered on `app`. */
export async function oidcRoutes(app: FastifyInstance, { deadbolt, cookies }: OidcRouteOptions): Promise<void> {
	const provider = await createOidcProvider(deadbolt);
	const publicUrl = new URL(deadbolt.publicOrigin);
	// Every route of this plugin (the provider's and the interaction's) is for the provider.
	app.addHook("onRequest", async (request) => pinToPublicUrl(request, publicUrl));
	const https = deadbolt.config.http.publicUrl?.startsWith("https://") ?? false;
	provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
		// The headers of every deadbolt answer that fit the provider's (its JSON and redirects are fetched across origins: no CORP, no CSP beyond its own pages').
		ctx.set("x-content-type-options", "nosniff");
		ctx.set("x-frame-options", "DENY");
		ctx.set("referrer-policy", "same-origin");
		if (https) ctx.set("strict-transport-security", "max-age=31536000; includeSubDomains");
		await next();
		if (ctx.oidc?.route === "end_session_confirm" && ctx.status === 303) await afterLogoutConfirmed(ctx);
	});
	/**
	 * RP-initiated logout, confirmed: "Sign out" ends the deadbolt session as well (and with it every
	 * app's grant); "Only this app" ends that app's grants of the deadbolt session (the library keeps
	 * them: its tokens do not expire with its session). Only when the provider session that was just
	 * ended is the deadbolt session's account, i.e. the user saw deadbolt's "Sign out?" page for it:
	 * the library also posts its confirmation itself, from a page that submits its own form, when
	 * its session has no account (any site can send a browser to `/oidc/session/end`: a deadbolt
	 * session must never end on a link) and when a sign-in of another account resumes (the browser's
	 * deadbolt session is then the NEW account's, which must live on).
	 */
	const afterLogoutConfirmed = async (ctx: KoaContextWithOIDC): Promise<void> => {
		const token = ctx.cookies.get(cookies.sessionName);
		if (token === undefined || token === "") return;
		const auth = await sessionOfToken(deadbolt, token);
		const providerAccountId = ctx.oidc.session?.accountId;
		if (auth === null || providerAccountId === undefined || providerAccountId !== auth.account.id) return;
		if (typeof ctx.oidc.params?.["logout"] === "string") {
			await deadbolt.logout(token);
			for (const clearing of sessionCookieClearings(cookies)) ctx.append("set-cookie", clearing);
			return;
		}
		const clientId = ctx.oidc.client?.clientId;
		if (clientId !== undefined) await deadbolt.oidc.endAppSignIn(auth, clientId);
	};
	const callback = provider.callback();
	const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
		const auth = AUTHORIZATION_PATH.test(request.url) ? await cookieSession(deadbolt, cookies, request) : null;
		rememberRequestSession(request.raw, auth);
		reply.hijack();
		await new Promise<void>((resolve) => {
			reply.raw.once("close", resolve);
			reply.raw.once("finish", resolve);
			void callback(request.raw, reply.raw);
		});
	};
	await app.register(async (raw) => {
		// The provider parses its own bodies (form posts to the token endpoint, ...): no parser here.
		raw.removeAllContentTypeParsers();
		raw.addContentTypeParser("*", (_request, _payload, done) => done(null));
		raw.route({ method: ["GET", "POST", "OPTIONS", "DELETE"], url: "/oidc/*", handler: handle, config: { sessionless: true } });
		raw.route({ method: ["GET", "OPTIONS"], url: DISCOVERY_PATH, handler: handle, config: { sessionless: true } });
	});
	registerInteractionRoutes(app, deadbolt, provider);
}

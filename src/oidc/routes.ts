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
async function cookieSession(deadbolt: Deadbolt, cookies: CookieSettings, request: FastifyRequest): Promise<AuthenticatedSession | null> {
	const token = request.cookies[cookies.sessionName];
	if (typeof token !== "string" || token === "") return null;
	try {
		return await deadbolt.validateSession(token);
	} catch (error) {
		if (error instanceof Unauthenticated) return null;
		throw error;
	}
}

/** The provider and the interaction routes, registered on `app`. */
export async function oidcRoutes(app: FastifyInstance, { deadbolt, cookies }: OidcRouteOptions): Promise<void> {
	const provider = await createOidcProvider(deadbolt);
	provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
		await next();
		// RP-initiated logout, confirmed with "Sign out": the deadbolt session ends as well (and with it every app's grant).
		if (ctx.oidc?.route === "end_session_confirm" && ctx.status === 303 && typeof ctx.oidc.params?.["logout"] === "string") {
			const token = ctx.cookies.get(cookies.sessionName);
			if (token !== undefined && token !== "") await deadbolt.logout(token);
			for (const clearing of sessionCookieClearings(cookies)) ctx.append("set-cookie", clearing);
		}
	});
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

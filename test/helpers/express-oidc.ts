/**
 * `express-openid-connect` 3.4.0 (Auth0's middleware, on openid-client 6 and jose 6) as a real
 * Node relying party of deadbolt's provider (issue 13, "Real parts in the tests"): an Express 5
 * app on a loopback port, configured as its README tells an app to be, with back-channel logout.
 *
 * Its paths (the library's defaults but where said):
 * - `/login`: starts the authorization (code flow, PKCE, `state` and `nonce` in its transaction
 *   cookie) and redirects to the provider.
 * - `/callback`: the redirect URI; trades the code (client_secret_basic), checks the ID token
 *   (`idTokenSigningAlg: "ES256"` against the provider's JWK Set), stores the tokens in its
 *   encrypted session cookie `appSession`, and redirects to where the sign-in started.
 * - `/logout`: ends the app's session and, with `idpLogout: true`, sends the browser to the
 *   provider's `end_session_endpoint` with `id_token_hint` and `post_logout_redirect_uri`
 *   `<baseUrl>/signed-out` (RP-initiated logout).
 * - `/backchannel-logout`: `POST logout_token=<JWT>`; the library verifies it (JWK Set, `iss`,
 *   `aud`, ES256, `events`, no `nonce`, `sub` or `sid`) and, by its default `onLogoutToken`,
 *   stores two entries in `backchannelLogout.store`: `<iss>|<sid>` and `<iss>|<sub>`; 204.
 *   On every later request of a session, its default `isLoggedOut` looks both up with the
 *   session's ID token `sid` and `sub` and, when one is there, drops the session (and its cookie).
 *   On a new sign-in its default `onLogin` deletes the entries of that `sub` and `sid`.
 * - `/me` (the app's own, behind `requiresAuth()`): JSON `{ sub, idTokenClaims, userinfo,
 *   refreshToken }` for a signed-in session (`userinfo`: the provider's answer to its access
 *   token); a signed-out one is redirected to the provider (302).
 * - `/` (the app's own): JSON `{ authenticated }`.
 * - `/signed-out` (the app's own): where RP-initiated logout lands.
 *
 * The library accepts no back-channel logout without a store (its config check: `backchannelLogout
 * requires a "backchannelLogout.store" ... or custom hooks`): {@link LogoutEntryStore} is the
 * smallest express-session compatible one (`get`, `set`, `destroy`), in memory, readable by the
 * tests.
 * @see https://github.com/auth0/express-openid-connect/blob/v3.4.0/index.d.ts (ConfigParams, BackchannelLogoutOptions)
 */
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import { auth, requiresAuth } from "express-openid-connect";
import { freePort } from "./cli-process.js";

/** An in-memory express-session compatible store: what the library writes for each logout token. */
export class LogoutEntryStore {
	readonly entries = new Map<string, unknown>();
	get(key: string, callback: (error: Error | null, value?: unknown) => void): void {
		callback(null, this.entries.get(key));
	}
	set(key: string, value: unknown, callback: (error: Error | null) => void): void {
		this.entries.set(key, value);
		callback(null);
	}
	destroy(key: string, callback: (error: Error | null) => void): void {
		this.entries.delete(key);
		callback(null);
	}
}

/** `onLogoutToken` and `isLoggedOut` hooks that end the token's session only (its `sid`), or every session of its `sub` when it names no session. */
function bySidOnly(store: LogoutEntryStore) {
	const keyOf = (issuer: unknown, claim: unknown): string | null => (typeof issuer === "string" && typeof claim === "string" && claim !== "" ? `${issuer}|${claim}` : null);
	return {
		onLogoutToken: (token: object) => {
			const { iss, sid, sub } = token as { iss?: unknown; sid?: unknown; sub?: unknown };
			const key = keyOf(iss, sid) ?? keyOf(iss, sub);
			if (key === null) throw new Error("a logout token without sid or sub");
			store.entries.set(key, { at: Date.now() });
		},
		isLoggedOut: (request: Request) => {
			const { iss, sid, sub } = (request.oidc.idTokenClaims ?? {}) as { iss?: unknown; sid?: unknown; sub?: unknown };
			return [keyOf(iss, sid), keyOf(iss, sub)].some((key) => key !== null && store.entries.has(key));
		},
	};
}

/** One POST the app's back-channel logout endpoint answered. */
export interface BackchannelLogoutReceipt {
	/** When it arrived (Unix milliseconds, this process's clock: the provider's). */
	readonly receivedAt: number;
	/** The library's answer: 204 when the token was valid and stored, 400 otherwise. */
	readonly status: number;
	/** The library's error answer (400), for failure messages. */
	readonly body: string;
}

/** A running Express relying party. */
export interface ExpressRelyingParty {
	readonly clientId: string;
	readonly port: number;
	/** `http://127.0.0.1:<port>` */
	readonly baseUrl: string;
	/** `<baseUrl>/callback`: the redirect URI to register at the provider. */
	readonly redirectUri: string;
	/** `<baseUrl>/backchannel-logout`: the back-channel logout URI to register. */
	readonly backchannelLogoutUri: string;
	/** `<baseUrl>/signed-out`: the post-logout redirect URI to register. */
	readonly postLogoutRedirectUri: string;
	/** The library's logout entries (`<iss>|<sid>`, `<iss>|<sub>`). */
	readonly logoutEntries: LogoutEntryStore;
	/** The back-channel logout POSTs it answered, oldest first. */
	readonly receipts: readonly BackchannelLogoutReceipt[];
	/** Errors the app's handlers passed on (printed in failure messages). */
	readonly errors: readonly string[];
	close(): Promise<void>;
}

/** The URLs of an Express relying party on `port` (to register the client before the provider starts). */
export function expressRelyingPartyUrls(port: number): Pick<ExpressRelyingParty, "baseUrl" | "redirectUri" | "backchannelLogoutUri" | "postLogoutRedirectUri"> {
	const baseUrl = `http://127.0.0.1:${port}`;
	return { baseUrl, redirectUri: `${baseUrl}/callback`, backchannelLogoutUri: `${baseUrl}/backchannel-logout`, postLogoutRedirectUri: `${baseUrl}/signed-out` };
}

/** The deadbolt client entry (`oidc.clients[]`) of an Express relying party on `port`. */
export function expressClientConfig(port: number, id: string, secret: string, extra: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
	const urls = expressRelyingPartyUrls(port);
	return { id, name: `Express app ${id}`, secret, redirectUris: [urls.redirectUri], postLogoutRedirectUris: [urls.postLogoutRedirectUri], backchannelLogoutUri: urls.backchannelLogoutUri, firstParty: true, ...extra };
}

/**
 * Starts an Express relying party of `issuer` on `port` (default: a free one). Nothing is asked
 * of the provider before the first request (the library discovers it lazily).
 */
export async function startExpressRelyingParty(options: {
	issuer: string;
	clientId: string;
	clientSecret: string;
	port?: number;
	scope?: string;
	/** The key of its session cookies (default: a random one); the same one lets a restarted app read the cookies of the one before. */
	sessionSecret?: string;
	/**
	 * `"sid-and-sub"` (default): the library's own hooks, which store a logout token under its
	 * `sid` AND its `sub`, so one logout token ends every session of that user in the app.
	 * `"sid"`: hooks that store it under its `sid` only when it has one (under `sub` only when it
	 * has no `sid`, Back-Channel Logout 1.0 §2.7), so only that session ends.
	 */
	logoutBy?: "sid-and-sub" | "sid";
}): Promise<ExpressRelyingParty> {
	const port = options.port ?? (await freePort());
	const urls = expressRelyingPartyUrls(port);
	const logoutEntries = new LogoutEntryStore();
	const receipts: BackchannelLogoutReceipt[] = [];
	const errors: string[] = [];
	const app = express();
	// Records each back-channel logout POST and the library's answer (before the library's router).
	app.use((request: Request, response: Response, next: NextFunction) => {
		if (request.method === "POST" && request.path === "/backchannel-logout") {
			const receivedAt = Date.now();
			const chunks: string[] = [];
			const end = response.end.bind(response) as (...args: unknown[]) => Response;
			response.end = ((...args: unknown[]) => {
				if (typeof args[0] === "string") chunks.push(args[0]);
				else if (Buffer.isBuffer(args[0])) chunks.push(args[0].toString("utf8"));
				return end(...args);
			}) as Response["end"];
			response.once("finish", () => receipts.push({ receivedAt, status: response.statusCode, body: chunks.join("") }));
		}
		next();
	});
	app.use(
		auth({
			issuerBaseURL: options.issuer,
			baseURL: urls.baseUrl,
			clientID: options.clientId,
			clientSecret: options.clientSecret,
			secret: options.sessionSecret ?? randomBytes(32).toString("base64url"),
			idTokenSigningAlg: "ES256",
			authorizationParams: { response_type: "code", scope: options.scope ?? "openid email offline_access" },
			authRequired: false,
			idpLogout: true,
			enableTelemetry: false,
			routes: { postLogoutRedirect: "/signed-out" },
			backchannelLogout: options.logoutBy === "sid" ? { store: logoutEntries as never, ...bySidOnly(logoutEntries) } : { store: logoutEntries as never },
		}),
	);
	app.get("/", (request: Request, response: Response) => {
		response.json({ authenticated: request.oidc.isAuthenticated() });
	});
	app.get("/me", requiresAuth(), async (request: Request, response: Response) => {
		// The access token at deadbolt's userinfo endpoint (the ID token of a code flow holds no `email`: OpenID Connect Core §5.4).
		const userinfo = await request.oidc.fetchUserInfo();
		response.json({ sub: request.oidc.user?.["sub"], idTokenClaims: request.oidc.idTokenClaims, userinfo, refreshToken: request.oidc.refreshToken ?? null });
	});
	app.get("/signed-out", (_request: Request, response: Response) => {
		response.type("text/plain").send("signed out of the app");
	});
	app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
		const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
		errors.push(message);
		const status = typeof (error as { status?: unknown }).status === "number" ? (error as { status: number }).status : 500;
		response.status(status).type("text/plain").send(message);
	});
	const server: Server = await new Promise((resolve, reject) => {
		const listening = app.listen(port, "127.0.0.1", (error?: Error) => (error === undefined ? resolve(listening) : reject(error)));
	});
	return {
		clientId: options.clientId,
		port,
		...urls,
		logoutEntries,
		receipts,
		errors,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

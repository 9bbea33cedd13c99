/**
 * deadbolt's side of an OpenID Connect sign-in (issue 13 item 3; oidc-provider "interactions"):
 * `GET /oidc/interaction/:uid`, where the provider sends the browser whenever its policy
 * (`oidc/policy.ts`) asks for a login or consent. deadbolt decides with its own session:
 * - signed out: the dashboard's sign-in (password, then the code or a recovery code), back here;
 * - signed in, but the app needs more (`service/oidc-sign-in.ts`): the step-up page (password and
 *   a fresh code, 2FA setup, or the mailed confirmation), back here; a page for an app this
 *   account may not use; the address to verify first;
 * - signed in and enough: consent when the app is not first-party and was never allowed, then a
 *   grant made here, bound to the deadbolt session, and back to the provider.
 * Only a live session in this browser finishes an authorization: a password without its code
 * (a login challenge) is no session, so it never yields a code or a token.
 * `POST /oidc/interaction/:uid/consent` (Allow or Deny) and `POST .../abort` (back to the app with
 * `access_denied`) accept only same-origin forms.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type Provider from "oidc-provider";
import type { Deadbolt } from "../deadbolt.js";
import { brandOf } from "../dashboard/brand.js";
import { PATHS } from "../dashboard/layout.js";
import { homeWithNotice } from "../dashboard/routes/home.js";
import { oidcConsentPage, oidcRefusedPage, oidcSignInGonePage } from "../dashboard/pages/oidc.js";
import type { AuthenticatedSession } from "../service/sessions.js";
import type { OidcClient } from "../service/oidc-clients.js";
import type { OidcAuthentication } from "../service/oidc-sign-in.js";
import { interactionPath } from "./provider.js";
import { GRANTABLE_SCOPES } from "./scopes.js";

type InteractionDetails = Awaited<ReturnType<Provider["interactionDetails"]>>;


function sendHtml(reply: FastifyReply, status: number, page: { value: string }): FastifyReply {
	return reply.status(status).type("text/html; charset=utf-8").send(page.value);
}

/** The scopes an authorization asks for that deadbolt grants. */
function requestedScopes(details: InteractionDetails): string[] {
	const scope = typeof details.params["scope"] === "string" ? details.params["scope"] : "";
	return [...new Set(scope.split(" ").filter((name) => GRANTABLE_SCOPES.has(name)))];
}

/** The interaction routes of `provider`. */
export function registerInteractionRoutes(app: FastifyInstance, deadbolt: Deadbolt, provider: Provider): void {
	const brand = brandOf(deadbolt);
	const publicOrigin = deadbolt.publicOrigin;

	/** The interaction of this browser with that uid, or null (gone, expired, of another browser). */
	const detailsOf = async (request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply): Promise<InteractionDetails | null> => {
		try {
			const details = await provider.interactionDetails(request.raw, reply.raw);
			return details.uid === request.params.uid ? details : null;
		} catch (error) {
			request.log.info({ event: "oidc.interaction_gone", reason: (error as { name?: string }).name ?? "error" }, "OpenID Connect interaction not found");
			return null;
		}
	};

	const gone = (request: FastifyRequest, reply: FastifyReply): FastifyReply => sendHtml(reply, 400, oidcSignInGonePage({ brand, email: request.auth?.account.email ?? null }));

	/** Ends the interaction: the provider sends the browser back (with a code, or the error). */
	const finish = async (request: FastifyRequest, reply: FastifyReply, result: Record<string, unknown>): Promise<FastifyReply> => {
		const returnTo = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
		return reply.redirect(returnTo, 303);
	};

	/** Makes the grant of this sign-in, bound to the deadbolt session, and finishes with login and consent. */
	const grantAndFinish = async (request: FastifyRequest, reply: FastifyReply, details: InteractionDetails, client: OidcClient, auth: AuthenticatedSession, authentication: OidcAuthentication): Promise<FastifyReply> => {
		const grant = new provider.Grant({ accountId: auth.account.id, clientId: client.id });
		grant.addOIDCScope(requestedScopes(details).join(" "));
		const grantId = await grant.save();
		await deadbolt.oidc.bindGrant(grantId, auth);
		request.log.info({ event: "oidc.sign_in", clientId: client.id, accountId: auth.account.id, sessionId: auth.session.id, acr: authentication.acr }, "signed in to an app with OpenID Connect");
		return finish(request, reply, {
			login: { accountId: authentication.accountId, acr: authentication.acr, amr: [...authentication.amr], ts: authentication.authTimeSeconds, remember: true },
			consent: { grantId },
		});
	};

	/** Where the dashboard returns to after a sign-in or step-up: this interaction, absolute. */
	const hereOf = (uid: string): string => `${publicOrigin}${interactionPath(uid)}`;

	/**
	 * Decides and answers. `consented`: the user just pressed Allow on this interaction's consent page.
	 */
	const proceed = async (request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply, consented: boolean): Promise<FastifyReply> => {
		const details = await detailsOf(request, reply);
		if (details === null) return gone(request, reply);
		const clientId = typeof details.params["client_id"] === "string" ? details.params["client_id"] : "";
		const client = await deadbolt.oidc.clientById(clientId);
		if (client === null) return gone(request, reply);
		const here = hereOf(details.uid);
		const auth = request.auth;
		if (auth === null) return reply.redirect(`${PATHS.signIn}?rd=${encodeURIComponent(here)}`, 303);
		const outcome = await deadbolt.oidc.decideSignIn(auth, client, details.params, details.iat);
		switch (outcome.kind) {
			case "not_allowed":
				request.log.info({ event: "oidc.refused", clientId: client.id, accountId: auth.account.id, reason: "not_allowed" }, "an app refused to this account");
				return sendHtml(reply, 403, oidcRefusedPage({ brand, email: auth.account.email }, { appName: client.name, abortAction: `${interactionPath(details.uid)}/abort`, signOutHref: `${PATHS.signOut}?rd=${encodeURIComponent(here)}` }));
			case "verify_email":
				return reply.redirect(homeWithNotice("verify-for-app"), 303);
			case "set_up_two_factor":
			case "step_up":
			case "confirm_two_factor":
				return reply.redirect(`${PATHS.stepUp}?rd=${encodeURIComponent(here)}`, 303);
			case "reauthenticate":
				return reply.redirect(`${PATHS.stepUp}?rd=${encodeURIComponent(here)}&password=only`, 303);
			case "allow":
				break;
		}
		const scopes = requestedScopes(details);
		if (!client.firstParty && !consented && !(await deadbolt.oidc.hasConsent(auth.account.id, client.id, scopes))) {
			return sendHtml(reply, 200, oidcConsentPage({ brand, email: auth.account.email }, { appName: client.name, scopes, action: `${interactionPath(details.uid)}/consent` }));
		}
		if (consented) await deadbolt.oidc.recordConsent(auth.account.id, client.id, scopes);
		return grantAndFinish(request, reply, details, client, auth, outcome.authentication);
	};

	/** Whether a form POST comes from deadbolt's own pages (Origin, else Sec-Fetch-Site): never from another site. */
	const sameOrigin = (request: FastifyRequest): boolean => {
		const origin = request.headers.origin;
		if (typeof origin === "string") return origin === publicOrigin;
		return request.headers["sec-fetch-site"] === "same-origin";
	};

	app.get<{ Params: { uid: string } }>("/oidc/interaction/:uid", async (request, reply) => proceed(request, reply, false));

	app.post<{ Params: { uid: string } }>("/oidc/interaction/:uid/consent", async (request, reply) => {
		if (!sameOrigin(request)) return gone(request, reply);
		const decision = (request.body as Record<string, unknown> | undefined)?.["decision"];
		if (decision === "allow") return proceed(request, reply, true);
		if ((await detailsOf(request, reply)) === null) return gone(request, reply);
		return finish(request, reply, { error: "access_denied", error_description: "The user did not allow the app to sign in." });
	});

	app.post<{ Params: { uid: string } }>("/oidc/interaction/:uid/abort", async (request, reply) => {
		if (!sameOrigin(request) || (await detailsOf(request, reply)) === null) return gone(request, reply);
		return finish(request, reply, { error: "access_denied", error_description: "This account may not use the app." });
	});
}

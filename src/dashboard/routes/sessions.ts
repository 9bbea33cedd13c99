/**
 * "Where you're signed in" on the Security page: `POST .../sessions/revoke` (one session, this one
 * too), and the sensitive `.../sessions/revoke-others` and `.../sessions/sign-out-everywhere`
 * (behind "Confirm it's you", `confirm.ts`).
 */
import type { FastifyInstance } from "fastify";
import { requestContext } from "../../http/plugins/session.js";
import { rotateCSRFToken } from "../csrf.js";
import { PATHS } from "../layout.js";
import type { SudoRoutes } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { seeOther } from "./forms.js";
import { doneURL, registerRemoveOne } from "./security.js";
import { clearSessionCookies } from "../../http/session-cookies.js";

/** Registers `POST /settings/security/sessions/revoke` (sign out one session of the account). */
export function registerSessionRoutes(app: FastifyInstance, d: DashboardContext): void {
	const { cookies } = d;
	// Connected apps (OpenID Connect): disconnect one; it is signed out (back-channel logout) and asks again next time.
	registerRemoveOne(app, "/settings/security/apps/disconnect", { field: "client", card: "apps", gone: "app-gone" }, async (request, reply, auth, clientId) => {
		await d.deadbolt.oidc.revokeApp(auth, clientId, requestContext(request));
		return seeOther(reply, doneURL("apps", "app-disconnected"));
	});
	registerRemoveOne(app, "/settings/security/sessions/revoke", { field: "session", card: "sessions", gone: "session-gone" }, async (request, reply, auth, id) => {
		await d.deadbolt.revokeSession(auth, id, requestContext(request));
		if (id !== auth.session.id) return seeOther(reply, doneURL("sessions", "session-revoked"));
		// This session signed out.
		clearSessionCookies(reply, cookies);
		rotateCSRFToken(request, reply, cookies);
		return seeOther(reply, `${PATHS.signIn}?notice=signed-out`);
	});
}

/** Sign out the other sessions, and sign out everywhere (then this browser's cookies end too). */
export function sessionSudoRoutes(d: DashboardContext): Pick<SudoRoutes, "revoke-others" | "sign-out-everywhere"> {
	const { cookies } = d;
	return {
		"revoke-others": {
			path: "/settings/security/sessions/revoke-others",
			perform: async (request, reply, auth) => {
				const count = await d.deadbolt.revokeOtherSessions(auth, requestContext(request));
				return seeOther(reply, doneURL("sessions", "others-signed-out", count));
			},
		},
		"sign-out-everywhere": {
			path: "/settings/security/sessions/sign-out-everywhere",
			perform: async (request, reply, auth) => {
				await d.deadbolt.signOutEverywhere(auth, requestContext(request));
				// The session itself is already revoked: end this browser's cookies.
				clearSessionCookies(reply, cookies);
				void reply.clearCookie(cookies.challengeName, cookies.options());
				rotateCSRFToken(request, reply, cookies);
				return seeOther(reply, `${PATHS.signIn}?notice=signed-out-everywhere`);
			},
		},
	};
}

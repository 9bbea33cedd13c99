/**
 * The provider's interaction policy (oidc-provider "interactions.policy"): its own login and
 * consent prompts, plus deadbolt's check first in the login prompt. The provider's session only
 * remembers a sign-in; deadbolt's session decides, on every authorization request:
 * - no live deadbolt session in this browser, or one of another account, or a sign-in older than
 *   the deadbolt session's last proof of factors (another session, a step-up since): the login
 *   prompt again (with `prompt=none`: `login_required`);
 * - the client's `minimumAal`, `acr_values`, `max_age` and groups not met by the session: the
 *   login prompt, where deadbolt's interaction (`oidc/interactions.ts`) shows what to do.
 * So a provider session can never outlive, or outrank, the deadbolt session behind it.
 */
import { interactionPolicy } from "oidc-provider";
import type { KoaContextWithOIDC } from "oidc-provider";
import type { Deadbolt } from "../deadbolt.js";
import { requestSession } from "./request-session.js";

/** The policy for `deadbolt`'s provider. */
export function deadboltInteractionPolicy(deadbolt: Pick<Deadbolt, "oidc">): ReturnType<typeof interactionPolicy.base> {
	const { Check, base } = interactionPolicy;
	const policy = base();
	const login = policy.get("login");
	if (login === undefined) throw new Error("oidc-provider has no login prompt");
	login.checks.add(
		new Check("deadbolt_session", "End-User authentication is required", "login_required", async (ctx: KoaContextWithOIDC) => {
			const { oidc } = ctx;
			const auth = requestSession(ctx.req);
			if (auth === null || oidc.session === undefined || oidc.client === undefined) return Check.REQUEST_PROMPT;
			if (oidc.session.accountId !== auth.account.id || oidc.session.loginTs !== deadbolt.oidc.authTimeSecondsOf(auth)) return Check.REQUEST_PROMPT;
			const client = await deadbolt.oidc.clientById(oidc.client.clientId);
			if (client === null) return Check.REQUEST_PROMPT;
			// Back from deadbolt's interaction (a sign-in just finished): its freshness was decided there.
			const params = oidc.result?.["login"] === undefined ? (oidc.params as Record<string, unknown>) : { ...(oidc.params as Record<string, unknown>), max_age: undefined, prompt: undefined };
			const outcome = await deadbolt.oidc.decideSignIn(auth, client, params, null);
			if (outcome.kind !== "allow" || outcome.authentication.acr !== oidc.session.acr) return Check.REQUEST_PROMPT;
			return Check.NO_NEED_TO_PROMPT;
		}),
		0,
	);
	return policy;
}

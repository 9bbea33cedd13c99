/**
 * The grant of an authorization (oidc-provider's `loadExistingGrant`): the one of the
 * interaction's result or of the provider session, as the library does; and for a **first-party**
 * client that has none yet (its first authorization in this session, or after "Only this app" or
 * Disconnect), one made here when the browser's deadbolt session is live, of the provider session's
 * account, and enough for the client (`service/oidc-sign-in.ts`). A first-party app asks no
 * consent, so `prompt=none` works for it from the first time, as docs/oidc.md says, instead of
 * answering `consent_required`. The grant is bound to the deadbolt session like every other.
 */
import type { KoaContextWithOIDC } from "oidc-provider";
import type { Deadbolt } from "../deadbolt.js";
import { GRANTABLE_SCOPES } from "./scopes.js";
import { requestSession } from "./request-session.js";

type Grant = InstanceType<KoaContextWithOIDC["oidc"]["provider"]["Grant"]>;

/** The `loadExistingGrant` of `deadbolt`'s provider. */
export function loadGrantFor(deadbolt: Pick<Deadbolt, "oidc">) {
	return async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
		const { oidc } = ctx;
		const clientId = oidc.client?.clientId;
		if (clientId === undefined) return undefined;
		const grantId = (oidc.result?.["consent"] as { grantId?: string } | undefined)?.grantId ?? oidc.session?.grantIdFor(clientId);
		if (grantId !== undefined) {
			const grant = await oidc.provider.Grant.find(grantId);
			if (grant !== undefined) return grant;
		}
		const auth = requestSession(ctx.req);
		if (auth === null || oidc.session?.accountId !== auth.account.id) return undefined;
		const client = await deadbolt.oidc.clientById(clientId);
		if (client === null || !client.firstParty) return undefined;
		const outcome = await deadbolt.oidc.decideSignIn(auth, client, oidc.params as Record<string, unknown>, null);
		if (outcome.kind !== "allow") return undefined;
		const grant = new oidc.provider.Grant({ accountId: auth.account.id, clientId });
		grant.addOIDCScope([...oidc.requestParamOIDCScopes].filter((scope) => GRANTABLE_SCOPES.has(scope)).join(" "));
		const id = await grant.save();
		await deadbolt.oidc.bindGrant(id, auth);
		return grant;
	};
}

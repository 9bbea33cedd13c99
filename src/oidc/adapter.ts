/**
 * The storage adapter `oidc-provider` calls for every model it keeps (its `Adapter` interface,
 * docs: "configuration.adapter"), over deadbolt's store through `service/oidc-payloads.ts`: one
 * table, SQLite or PostgreSQL, shared by every instance. Never the library's in-memory default.
 *
 * Three behaviours are deadbolt's: a grant, code or token whose deadbolt session ended is not found;
 * `consume` is a conditional write whose loser revokes the grant and fails with `invalid_grant`
 * (RFC 9700 §4.14.2: a refresh token or code used twice); and model `Client` is answered from the
 * clients added through the admin API or the CLI (`service/oidc-clients.ts`), read at every
 * `Client.find` of the library (which looks in its static list, the config file's clients, first,
 * and caches a dynamic client only by the hash of its metadata): a client added, given a new
 * secret or removed counts at the next request, on every instance.
 */
import { errors } from "oidc-provider";
import type { Deadbolt } from "../deadbolt.js";
import type { OidcPayload } from "../service/oidc-payloads.js";
import { clientMetadataOf } from "./client-metadata.js";

/** The library's model of a client (dynamic clients: `Client.find` asks the adapter for ids not in its static list). */
const CLIENT_MODEL = "Client";

/** Models whose issue counts as a use of their grant (Connected apps' "last used", the sign-in's `sid`). */
const GRANT_USE_MODELS: ReadonlySet<string> = new Set(["AuthorizationCode", "RefreshToken"]);

/** The adapter class for one provider: `new (adapterFor(deadbolt))(modelName)`. */
export function adapterFor(deadbolt: Pick<Deadbolt, "oidc">) {
	const { payloads } = deadbolt.oidc;
	return class DeadboltOidcAdapter {
		readonly model: string;

		constructor(model: string) {
			this.model = model;
		}

		async upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void> {
			// Dynamic registration is off: clients are added by operators (`service/oidc-client-admin.ts`), never stored by the library.
			if (this.model === CLIENT_MODEL) throw new Error("oidc-provider may not store clients: they are added through the admin API or the CLI");
			await payloads.upsert(this.model, id, payload, expiresIn);
			const grantId = payload["grantId"];
			if (GRANT_USE_MODELS.has(this.model) && typeof grantId === "string") {
				const sid = payload["sid"];
				await deadbolt.oidc.noteGrantUse(grantId, typeof sid === "string" ? sid : null);
			}
		}

		async find(id: string): Promise<OidcPayload | undefined> {
			if (this.model === CLIENT_MODEL) {
				const client = await deadbolt.oidc.clientById(id);
				return client === null || client.source !== "api" ? undefined : (clientMetadataOf(client) as OidcPayload);
			}
			return payloads.find(this.model, id);
		}

		findByUserCode(userCode: string): Promise<OidcPayload | undefined> {
			return payloads.findByUserCode(this.model, userCode);
		}

		findByUid(uid: string): Promise<OidcPayload | undefined> {
			return payloads.findByUid(this.model, uid);
		}

		async consume(id: string): Promise<void> {
			if (!(await payloads.consume(this.model, id))) throw new errors.InvalidGrant("grant request is invalid");
		}

		async destroy(id: string): Promise<void> {
			if (this.model === CLIENT_MODEL) throw new Error("oidc-provider may not remove clients: they are removed through the admin API or the CLI");
			await payloads.destroy(this.model, id);
		}

		async revokeByGrantId(grantId: string): Promise<void> {
			await payloads.revokeByGrantId(grantId);
		}
	};
}

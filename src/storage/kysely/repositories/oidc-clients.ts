/** OpenID Connect clients added through the admin API or the CLI (`oidc_client`): plain rows, the secret sealed by `service/`. */
import type { OidcClientRecord, OidcClientRepository } from "../../store.js";
import type { OidcClientTable } from "../database.js";
import { findEvery, findFirst, wroteAny, type Executor, type Guard } from "../executor.js";
import { toDriverBytes } from "../rows.js";

/** The record of a selected row (the flags are stored as 0 or 1). */
function toRecord(row: OidcClientTable): OidcClientRecord {
	return {
		id: row.id,
		name: row.name,
		sealedSecret: row.sealed_secret,
		redirectUris: row.redirect_uris,
		postLogoutRedirectUris: row.post_logout_redirect_uris,
		backchannelLogoutUri: row.backchannel_logout_uri,
		public: Number(row.public) === 1,
		firstParty: Number(row.first_party) === 1,
		minimumAal: Number(row.minimum_aal),
		groups: row.groups,
		accounts: row.accounts,
		createdAt: Number(row.created_at),
	};
}

/** The row of a record. */
function toRow(record: OidcClientRecord): OidcClientTable {
	return {
		id: record.id,
		name: record.name,
		sealed_secret: record.sealedSecret === null ? null : toDriverBytes(record.sealedSecret),
		redirect_uris: record.redirectUris,
		post_logout_redirect_uris: record.postLogoutRedirectUris,
		backchannel_logout_uri: record.backchannelLogoutUri,
		public: record.public ? 1 : 0,
		first_party: record.firstParty ? 1 : 0,
		minimum_aal: record.minimumAal,
		groups: record.groups,
		accounts: record.accounts,
		created_at: record.createdAt,
	};
}

/** The client repository over `db`. */
export function createOidcClientRepository(db: Executor, guard: Guard): OidcClientRepository {
	return Object.freeze({
		insertOidcClient(record: OidcClientRecord): Promise<boolean> {
			// ON CONFLICT DO NOTHING: of two instances adding the same id at once, one writes, the other learns it.
			return wroteAny(guard, () => db.insertInto("oidc_client").values(toRow(record)).onConflict((conflict) => conflict.column("id").doNothing()));
		},
		findOidcClient(id: string): Promise<OidcClientRecord | null> {
			return findFirst(guard, () => db.selectFrom("oidc_client").selectAll().where("id", "=", id), toRecord);
		},
		listOidcClients(): Promise<OidcClientRecord[]> {
			return findEvery(guard, () => db.selectFrom("oidc_client").selectAll().orderBy("created_at", "asc").orderBy("id", "asc"), toRecord);
		},
		replaceOidcClientSecret(id: string, sealedSecret: Uint8Array): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("oidc_client").set({ sealed_secret: toDriverBytes(sealedSecret) }).where("id", "=", id).where("sealed_secret", "is not", null));
		},
		deleteOidcClient(id: string): Promise<boolean> {
			return wroteAny(guard, () => db.deleteFrom("oidc_client").where("id", "=", id));
		},
	});
}

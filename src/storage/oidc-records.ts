/**
 * The OpenID Connect provider's stored models (migration 0016, `oidc_payload`): the record and
 * the narrow repository `service/oidc-payloads.ts` keeps them through; and the clients added
 * through the admin API or the CLI (`oidc_client`, `service/oidc-client-admin.ts`). Re-exported by `store.ts`.
 */
import type { UnixMillis } from "../platform/clock.js";

/** One stored model of `oidc-provider` (a session, interaction, grant, code or token). */
export interface OidcPayloadRecord {
	/** The library's model name (`"Grant"`, `"RefreshToken"`, ...). */
	readonly model: string;
	readonly id: string;
	/** The library's payload, JSON text (it may hold a token's hash-free id: never logged). */
	readonly payload: string;
	readonly grantId: string | null;
	readonly uid: string | null;
	readonly userCode: string | null;
	/** On a grant: the deadbolt session it was given under; null elsewhere. */
	readonly sessionId: string | null;
	readonly accountId: string | null;
	readonly clientId: string | null;
	/** The provider's session id of the sign-in (the `sid` claim). */
	readonly sid: string | null;
	readonly createdAt: UnixMillis;
	/** When the library stops accepting it; null: never set. */
	readonly expiresAt: UnixMillis | null;
	/** When a code or refresh token was used; null: not yet. */
	readonly consumedAt: UnixMillis | null;
	/** On a grant: the last time a token of it was issued or used. */
	readonly lastUsedAt: UnixMillis | null;
}

/** What the library writes (the deadbolt columns `sessionId`, `consumedAt`, `lastUsedAt` are kept on update). */
export type OidcPayloadWrite = Omit<OidcPayloadRecord, "sessionId" | "consumedAt" | "lastUsedAt">;

/** The provider's table. Every method is one statement. */
export interface OidcPayloadRepository {
	/** Inserts, or replaces the library's part of an existing row (same model and id). */
	upsertOidcPayload(record: OidcPayloadWrite): Promise<void>;
	findOidcPayload(model: string, id: string): Promise<OidcPayloadRecord | null>;
	findOidcPayloadByUid(model: string, uid: string): Promise<OidcPayloadRecord | null>;
	findOidcPayloadByUserCode(model: string, userCode: string): Promise<OidcPayloadRecord | null>;
	/** `UPDATE ... SET consumed_at = :now WHERE model AND id AND consumed_at IS NULL`. @returns true when this call consumed it (of parallel calls, one wins) */
	consumeOidcPayload(model: string, id: string, now: UnixMillis): Promise<boolean>;
	/** @returns true when a row was deleted */
	destroyOidcPayload(model: string, id: string): Promise<boolean>;
	/** Deletes the grant and every row of it (codes, tokens). @returns how many rows */
	revokeOidcGrant(grantId: string): Promise<number>;
	/** Ties a grant to the deadbolt session it was given under (`session_id`). @returns false when there is no such grant */
	bindOidcGrant(grantId: string, sessionId: string): Promise<boolean>;
	/** Sets a grant's `sid` (the provider session of the sign-in) and `last_used_at`. */
	noteOidcGrantUse(grantId: string, sid: string | null, now: UnixMillis): Promise<void>;
	/** The grants given under any of these deadbolt sessions. */
	listOidcGrantsOfSessions(sessionIds: readonly string[]): Promise<OidcPayloadRecord[]>;
	/** The account's grants, newest first. */
	listOidcGrantsOfAccount(accountId: string): Promise<OidcPayloadRecord[]>;
	/**
	 * Housekeeping: grants whose deadbolt session is no longer live (revoked; expired at `now`; idle
	 * since before `idleCutoff`; gone), at most `limit`, oldest first.
	 */
	listOidcGrantsOfEndedSessions(now: UnixMillis, idleCutoff: UnixMillis, limit: number): Promise<OidcPayloadRecord[]>;
	/** The grants of a client (any account, any session): what removing the client ends. */
	listOidcGrantsOfClient(clientId: string): Promise<OidcPayloadRecord[]>;
	/** Deletes every row that names the client (`client_id`: its grants, codes, tokens, remembered consents). @returns how many */
	deleteOidcPayloadsOfClient(clientId: string): Promise<number>;
	/** Housekeeping: deletes rows that expired before `now`. @returns how many */
	deleteExpiredOidcPayloads(now: UnixMillis): Promise<number>;
}

/**
 * An OpenID Connect client added through the admin API or the CLI (migration 0016, `oidc_client`;
 * the config file's clients are not stored). Lists are JSON text; the secret is sealed by `service/`.
 */
export interface OidcClientRecord {
	/** The client_id: primary key. */
	readonly id: string;
	/** Shown to users (consent, Connected apps, refusals). */
	readonly name: string;
	/** The client secret sealed with the server key, bound to this id (`service/sealed-text.ts`); null for a public client. */
	readonly sealedSecret: Uint8Array | null;
	/** JSON array of exact redirect URIs. */
	readonly redirectUris: string;
	/** JSON array of exact post-logout redirect URIs. */
	readonly postLogoutRedirectUris: string;
	readonly backchannelLogoutUri: string | null;
	/** A public client: no secret, PKCE required. */
	readonly public: boolean;
	/** No consent page. */
	readonly firstParty: boolean;
	/** 1 or 2. */
	readonly minimumAal: number;
	/** JSON array of group names; null: no limit by group. */
	readonly groups: string | null;
	/** JSON array of normalized email addresses; null: no limit by account. */
	readonly accounts: string | null;
	readonly createdAt: UnixMillis;
}

/** The clients added through the admin API or the CLI. Every method is one statement. */
export interface OidcClientRepository {
	/** Inserts a client. @returns false when a client with that id is stored already (nothing written) */
	insertOidcClient(record: OidcClientRecord): Promise<boolean>;
	findOidcClient(id: string): Promise<OidcClientRecord | null>;
	/** Every stored client, oldest first. */
	listOidcClients(): Promise<OidcClientRecord[]>;
	/** Replaces the sealed secret of a confidential client (`sealed_secret IS NOT NULL` in the condition). @returns false when there is no such confidential client */
	replaceOidcClientSecret(id: string, sealedSecret: Uint8Array): Promise<boolean>;
	/** @returns true when a row was deleted */
	deleteOidcClient(id: string): Promise<boolean>;
}

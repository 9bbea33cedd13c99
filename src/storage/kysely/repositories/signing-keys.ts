/** Signing keys of assertions: plain rows, the private key sealed by `service/`; the unique generation decides the first writer. */
import type { SigningKeyRecord, SigningKeyRepository } from "../../store.js";
import type { SigningKeyTable } from "../database.js";
import { findEvery, findFirst, wroteAny, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";

const signingKeyRows = rowMapping<SigningKeyRecord>({ kid: true, generation: true, algorithm: true, sealedPrivateJwk: true, publicJwk: true, createdAt: true });

/** The record of a selected row, with its sealed key copied out of the driver's buffer. */
function toRecord(row: SigningKeyTable): SigningKeyRecord {
	return { ...signingKeyRows.toRecord(row), sealedPrivateJwk: new Uint8Array(row.sealed_private_jwk) };
}

/** The signing key repository over `db`. */
export function createSigningKeyRepository(db: Executor, guard: Guard): SigningKeyRepository {
	return Object.freeze({
		findCurrentSigningKey(): Promise<SigningKeyRecord | null> {
			return findFirst(guard, () => db.selectFrom("signing_key").selectAll().orderBy("generation", "desc").limit(1), toRecord);
		},
		listSigningKeys(): Promise<SigningKeyRecord[]> {
			return findEvery(guard, () => db.selectFrom("signing_key").selectAll().orderBy("generation", "desc"), toRecord);
		},
		insertSigningKey(record: SigningKeyRecord): Promise<boolean> {
			// No conflict target: a taken generation and a taken kid both leave the row unwritten.
			return wroteAny(guard, () => db.insertInto("signing_key").values(signingKeyRows.toRow(record)).onConflict((oc) => oc.doNothing()));
		},
	});
}

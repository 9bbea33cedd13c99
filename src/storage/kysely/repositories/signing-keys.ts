/** Signing keys of assertions: plain rows, the private key sealed by `service/`; the unique generation decides the first writer. */
import type { SigningKeyRecord, SigningKeyRepository } from "../../store.js";
import type { SigningKeyTable } from "../database.js";
import type { UnixMillis } from "../../../platform/clock.js";
import { countWritten, findEvery, findFirst, wroteAny, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";

const signingKeyRows = rowMapping<Required<SigningKeyRecord>>({ kid: true, generation: true, algorithm: true, sealedPrivateJwk: true, publicJwk: true, createdAt: true, activatesAt: true, retiredAt: true });

/** The record of a selected row, with its sealed key copied out of the driver's buffer; `activatesAt` and `retiredAt` only when set. */
function toRecord(row: SigningKeyTable): SigningKeyRecord {
	const { activatesAt, retiredAt, ...rest } = signingKeyRows.toRecord(row);
	return { ...rest, sealedPrivateJwk: new Uint8Array(row.sealed_private_jwk), ...(activatesAt === null ? {} : { activatesAt }), ...(retiredAt === null ? {} : { retiredAt }) };
}

/** The signing key repository over `db`. */
export function createSigningKeyRepository(db: Executor, guard: Guard): SigningKeyRepository {
	return Object.freeze({
		findCurrentSigningKey(now?: UnixMillis): Promise<SigningKeyRecord | null> {
			return findFirst(
				guard,
				() => {
					const live = db.selectFrom("signing_key").selectAll().where("retired_at", "is", null);
					const active = now === undefined ? live : live.where((eb) => eb.or([eb("activates_at", "is", null), eb("activates_at", "<=", now)]));
					return active.orderBy("generation", "desc").limit(1);
				},
				toRecord,
			);
		},
		findNewestSigningKey(): Promise<SigningKeyRecord | null> {
			return findFirst(guard, () => db.selectFrom("signing_key").selectAll().orderBy("generation", "desc").limit(1), toRecord);
		},
		listSigningKeys(): Promise<SigningKeyRecord[]> {
			return findEvery(guard, () => db.selectFrom("signing_key").selectAll().where("retired_at", "is", null).orderBy("generation", "desc"), toRecord);
		},
		retireSigningKeysBelow(generation: number, now: UnixMillis): Promise<number> {
			return countWritten(guard, () => db.updateTable("signing_key").set({ retired_at: now }).where("generation", "<", generation).where("retired_at", "is", null));
		},
		insertSigningKey(record: SigningKeyRecord): Promise<boolean> {
			const row = signingKeyRows.toRow({ ...record, activatesAt: record.activatesAt ?? null, retiredAt: record.retiredAt ?? null });
			// No conflict target: a taken generation and a taken kid both leave the row unwritten.
			return wroteAny(guard, () => db.insertInto("signing_key").values(row).onConflict((oc) => oc.doNothing()));
		},
	});
}

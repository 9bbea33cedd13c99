/**
 * The sealed values of every table that holds some, for key rotation (`service/key-rotation.ts`):
 * read in id order by pages, and replaced with one conditional update on the old value, so a
 * concurrent change of the row wins over a re-sealing.
 */
import type { Kysely } from "kysely";
import type { SealedValueRecord, SealedValueRepository, SealedValueSource } from "../../store.js";
import { findEvery, wroteAny, type Executor, type Guard } from "../executor.js";
import { toDriverBytes } from "../rows.js";

/** Each source's table, id column and sealed column. */
const SOURCES = Object.freeze({
	totp_credential: { id: "id", sealed: "secret_ciphertext" },
	oidc_client: { id: "id", sealed: "sealed_secret" },
	signing_key: { id: "kid", sealed: "sealed_private_jwk" },
	webhook_endpoint: { id: "id", sealed: "sealed_secret" },
	delivery: { id: "id", sealed: "sealed_secret" },
} as const);

/** The sealed value repository over `db`. */
export function createSealedValueRepository(db: Executor, guard: Guard): SealedValueRepository {
	return Object.freeze({
		listSealedValues(source: SealedValueSource, afterId: string, limit: number): Promise<SealedValueRecord[]> {
			const { id, sealed } = SOURCES[source];
			return findEvery(
				guard,
				() =>
					(db as unknown as Kysely<any>)
						.selectFrom(source)
						.select([`${id} as id`, `${sealed} as sealed`, ...(source === "totp_credential" ? ["account_id as account_id"] : [])])
						.where(id, ">", afterId)
						.where(sealed, "is not", null)
						.orderBy(id)
						.limit(limit),
				(row: Record<string, unknown>) => ({ id: row["id"] as string, accountId: (row["account_id"] as string | undefined) ?? null, sealed: new Uint8Array(row["sealed"] as Uint8Array) }),
			);
		},
		replaceSealedValue(source: SealedValueSource, rowId: string, previous: Uint8Array, next: Uint8Array): Promise<boolean> {
			const { id, sealed } = SOURCES[source];
			return wroteAny(guard, () =>
				(db as unknown as Kysely<any>)
					.updateTable(source)
					.set({ [sealed]: toDriverBytes(next) })
					.where(id, "=", rowId)
					.where(sealed, "=", toDriverBytes(previous)),
			);
		},
	});
}

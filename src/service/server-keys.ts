/**
 * The server-key check (docs/decisions.md, "Keys"): the first instance to start on a database
 * writes a proof of its keys (a keyed hash under `DEADBOLT_HMAC_KEY`, a fixed text sealed under
 * `DEADBOLT_ENCRYPTION_KEY`); every later start checks its keys against it. An instance started
 * with other keys (a typo, another environment's keys, or per-machine development keys on a
 * shared PostgreSQL) then refuses to start, instead of answering 500 to valid codes, refusing
 * valid recovery codes and writing 2FA secrets the other instances cannot open.
 */
import { createHmac } from "node:crypto";
import { ConfigInvalid } from "../errors.js";
import { openSecret, sealSecret } from "../domain/crypto/secret-box.js";
import type { ServiceDeps } from "./deps.js";

const HMAC_CHECK_TEXT = "deadbolt:server-key-check:v1";
const SEALED_CHECK_TEXT = "deadbolt server-key check v1";
const SEALED_CHECK_AAD = "deadbolt:server-key-check";

/**
 * Checks the process's keys against the database's key check, writing it when there is none yet.
 * Two instances starting at once on a new database: one writes, the other checks against it.
 * @throws ConfigInvalid naming the key that differs (the CLI exits with 78)
 * @throws StorageUnavailable when the database cannot be reached
 */
export async function verifyServerKeys(deps: ServiceDeps): Promise<void> {
	const hmacCheck = createHmac("sha256", deps.keys.hmacKey).update(HMAC_CHECK_TEXT, "utf8").digest("hex");
	let existing = await deps.store.serverKeyCheck.findServerKeyCheck();
	if (existing === null) {
		const sealedCheck = sealSecret(deps.keys.encryptionKey, new TextEncoder().encode(SEALED_CHECK_TEXT), SEALED_CHECK_AAD, deps.random);
		if (await deps.store.serverKeyCheck.insertServerKeyCheck({ hmacCheck, sealedCheck, createdAt: deps.clock.now() })) {
			deps.logger.info({ event: "keys.check_written" }, "server keys recorded for this database (later starts must use the same keys)");
			return;
		}
		existing = await deps.store.serverKeyCheck.findServerKeyCheck();
		if (existing === null) throw new Error("server key check neither inserted nor found");
	}
	const problems: string[] = [];
	const opened = openSecret(deps.keys.encryptionKey, existing.sealedCheck, SEALED_CHECK_AAD);
	if (opened === null || new TextDecoder().decode(opened) !== SEALED_CHECK_TEXT) {
		problems.push("keys.encryptionKey (DEADBOLT_ENCRYPTION_KEY): not the key this database was set up with; every instance must use the same key (2FA secrets sealed with it would not open)");
	}
	if (existing.hmacCheck !== hmacCheck) {
		problems.push("keys.hmacKey (DEADBOLT_HMAC_KEY): not the key this database was set up with; every instance must use the same key (recovery codes would not match)");
	}
	if (problems.length > 0) throw new ConfigInvalid(problems);
}

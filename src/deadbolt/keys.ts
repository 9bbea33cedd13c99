/**
 * The composition root's choice of server keys: the configured key rings, or the development
 * keys file in the data directory (created on first use). Re-exported by `deadbolt.ts`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configuredKeyRing } from "../config/key-rings.js";
import { decodeKey } from "../config/load.js";
import { primaryKey } from "../domain/crypto/key-ring.js";
import type { Config } from "../config/schema.js";
import { ConfigInvalid } from "../errors.js";
import { type Logger } from "../platform/logger.js";
import { type RandomSource } from "../platform/random.js";
import type { ServerKeys } from "../service/deps.js";

/** The file of development keys inside the data directory. */
export const DEVELOPMENT_KEYS_FILE = "development-keys.json";

/**
 * Resolves the server keys: the key rings of the config when set (`config/key-rings.ts`: both
 * kinds or neither; a single `keys.encryptionKey` / `keys.hmacKey` is the key `default`),
 * otherwise `<dataDir>/development-keys.json`, created on first use with file mode 0600 and a
 * warning (each key then a ring of one, id `default`).
 * @throws ConfigInvalid when only one kind is configured
 */
export function resolveKeys(config: Config, random: RandomSource, logger: Logger): { keys: ServerKeys; development: boolean } {
	const encryptionRing = configuredKeyRing(config.keys, "encryption", decodeKey);
	const hmacRing = configuredKeyRing(config.keys, "hmac", decodeKey);
	if (encryptionRing !== null && hmacRing !== null) {
		return { keys: { encryptionKey: primaryKey(encryptionRing), hmacKey: primaryKey(hmacRing), encryptionRing, hmacRing }, development: false };
	}
	if (encryptionRing !== null || hmacRing !== null) {
		// loadConfig refuses this already; a config built another way gets the same answer.
		throw new ConfigInvalid(["keys: set both DEADBOLT_ENCRYPTION_KEY and DEADBOLT_HMAC_KEY, or neither (development keys)"]);
	}
	const file = join(config.dataDir, DEVELOPMENT_KEYS_FILE);
	let created = false;
	if (!existsSync(file)) {
		mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
		const make = (): string => {
			const bytes = new Uint8Array(32);
			random.fill(bytes);
			return Buffer.from(bytes).toString("base64");
		};
		writeFileSync(file, `${JSON.stringify({ encryptionKey: make(), hmacKey: make() }, null, 2)}\n`, { mode: 0o600, flag: "wx" });
		created = true;
	}
	chmodSync(file, 0o600);
	const stored = JSON.parse(readFileSync(file, "utf8")) as { encryptionKey?: string; hmacKey?: string };
	const decodedEncryption = decodeKey(stored.encryptionKey ?? "");
	const decodedHmac = decodeKey(stored.hmacKey ?? "");
	if (decodedEncryption === null || decodedHmac === null) {
		throw new ConfigInvalid([`${file}: not a valid development key file (delete it to create a new one; existing 2FA secrets will not open)`]);
	}
	logger.warn(
		{ event: "keys.development", file, created },
		`Using DEVELOPMENT keys from ${file}${created ? " (just created)" : ""}. For production, set DEADBOLT_ENCRYPTION_KEY and DEADBOLT_HMAC_KEY (each: openssl rand -base64 32) and keep them outside the database.`,
	);
	return { keys: { encryptionKey: decodedEncryption, hmacKey: decodedHmac, developmentKeysFile: file }, development: true };
}

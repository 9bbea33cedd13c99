/**
 * Errors of operating deadbolt: server keys, the database, the configuration.
 * Re-exported by `errors.ts` (the one place the rest of deadbolt imports errors from).
 */
import { DeadboltError, type DeadboltErrorOptions } from "./base.js";

/**
 * A secret at rest names a key (by id) that this instance's key ring does not hold: a rolling
 * rotation made another key primary before every instance had it (docs/operations.md, "Key
 * rotation"). Never a guess with another key. Nothing was changed. HTTP 503; logged with the id.
 */
export class KeyUnavailable extends DeadboltError {
	static override code = "ERR_KEY_UNAVAILABLE" as const;
	readonly code = "ERR_KEY_UNAVAILABLE" as const;
	/** The id of the missing key (an id, never key material). */
	readonly keyId: string;
	constructor(keyId: string, message = "The service is temporarily unavailable. Try again shortly.", options?: DeadboltErrorOptions) {
		super(message, options);
		this.keyId = keyId;
	}
}

/**
 * A key cannot be retired (`deadbolt keys retire <id>`): it is a primary key of this instance,
 * or secrets or recovery codes still depend on it. Nothing was changed. HTTP 409 (CLI: exit 1).
 */
export class KeyInUse extends DeadboltError {
	static override code = "ERR_KEY_IN_USE" as const;
	readonly code = "ERR_KEY_IN_USE" as const;
	constructor(message: string, options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** The database cannot be reached; nothing was changed. HTTP 503. */
export class StorageUnavailable extends DeadboltError {
	static override code = "ERR_STORAGE_UNAVAILABLE" as const;
	readonly code = "ERR_STORAGE_UNAVAILABLE" as const;
	constructor(message = "The service is temporarily unavailable. Try again shortly.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** The configuration is invalid; thrown at startup only, listing every problem. */
export class ConfigInvalid extends DeadboltError {
	static override code = "ERR_CONFIG_INVALID" as const;
	readonly code = "ERR_CONFIG_INVALID" as const;
	/** Every problem found, one sentence each. */
	readonly issues: readonly string[];
	constructor(issues: readonly string[], options?: DeadboltErrorOptions) {
		super(`Invalid configuration:\n- ${issues.join("\n- ")}`, options);
		this.issues = issues;
	}
}

/**
 * What deadbolt measures for its operators (docs/metrics.md): a narrow port that `service/`,
 * `storage/` and `http/` record into, with {@link NO_METRICS}, a no-op, for when metrics are off
 * (`metrics.enabled` false, the default): recording then costs one empty call. The Prometheus
 * implementation (`service/prometheus-metrics.ts`) is chosen by the composition root.
 *
 * Every label value is one of the closed lists below (or a route pattern from a fixed set): never
 * an email, an account id, an IP address or anything else a client chooses, so the number of
 * series stays small and nothing about a person leaves through `/metrics`.
 */

/** How a password step (`POST /api/v1/login`, the dashboard's sign-in form) ended. */
export const SIGN_IN_OUTCOMES = Object.freeze(["success", "second_factor_required", "invalid_credentials", "locked", "busy", "error"] as const);
/**
 * - `success`: signed in at once (no two-factor authentication, or a remembered device);
 * - `second_factor_required`: the password was right, the code step comes next;
 * - `invalid_credentials`: unknown email, wrong password, or an account without a password;
 * - `locked`: the account's password step is locked (answered like a wrong password);
 * - `busy`: refused without a check, other checks of the account kept it waiting (`ERR_ATTEMPTS_IN_FLIGHT`);
 * - `error`: anything else (the database unreachable, ...).
 */
export type SignInOutcome = (typeof SIGN_IN_OUTCOMES)[number];

/** Where a second factor was proved: the code step of a sign-in, or a re-authentication (sudo mode, step-up, turning 2FA off). */
export const SECOND_FACTOR_PURPOSES = Object.freeze(["sign_in", "reauthentication"] as const);
/** See {@link SECOND_FACTOR_PURPOSES}. */
export type SecondFactorPurpose = (typeof SECOND_FACTOR_PURPOSES)[number];

/** What stood for the second factor: a TOTP code, a recovery code, or a remembered device (sign-in only, always a success). */
export const SECOND_FACTOR_METHODS = Object.freeze(["totp", "recovery_code", "trusted_device"] as const);
/** See {@link SECOND_FACTOR_METHODS}. */
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number];

/** How a second-factor check ended. */
export const SECOND_FACTOR_OUTCOMES = Object.freeze(["success", "invalid_code", "challenge_invalid", "locked", "busy", "error"] as const);
/**
 * - `success`: the code was accepted;
 * - `invalid_code`: wrong, reused, used up or malformed (`ERR_INVALID_CODE`);
 * - `challenge_invalid`: the sign-in's challenge was unknown, expired, spent or ended by a security change;
 * - `locked`: the account's second factor is locked (`ERR_TOO_MANY_ATTEMPTS`), or this failure locked it;
 * - `busy`: refused without a check (`ERR_ATTEMPTS_IN_FLIGHT`);
 * - `error`: anything else.
 */
export type SecondFactorOutcome = (typeof SECOND_FACTOR_OUTCOMES)[number];

/** Which per-account counter locked (`service/throttle.ts`). */
export const LOCKOUT_FACTORS = Object.freeze(["password", "second_factor"] as const);
/** See {@link LOCKOUT_FACTORS}. */
export type LockoutFactor = (typeof LOCKOUT_FACTORS)[number];

/**
 * A forward-auth answer: the kinds of `service/access.ts` `AccessOutcome` (`allow`, `deny`,
 * `sign_in`, `verify_email`, `step_up`, `set_up_two_factor`, `confirm_two_factor`), plus
 * `invalid_request` (a peer outside `http.trustedProxies`, or forwarded headers that do not make
 * a request) and `error` (anything else, the database unreachable say).
 */
export const FORWARD_AUTH_DECISIONS = Object.freeze(["allow", "deny", "sign_in", "verify_email", "step_up", "set_up_two_factor", "confirm_two_factor", "invalid_request", "error"] as const);
/** See {@link FORWARD_AUTH_DECISIONS}. */
export type ForwardAuthDecision = (typeof FORWARD_AUTH_DECISIONS)[number];

/** What waited for the argon2id queue (`service/password-hasher.ts`): a new hash, or a verification. */
export const HASH_OPERATIONS = Object.freeze(["hash", "verify"] as const);
/** See {@link HASH_OPERATIONS}. */
export type HashOperation = (typeof HASH_OPERATIONS)[number];

/** What a database duration measures: one repository call (normally one SQL statement), or a whole transaction from BEGIN to COMMIT or ROLLBACK. */
export const DATABASE_OPERATIONS = Object.freeze(["query", "transaction"] as const);
/** See {@link DATABASE_OPERATIONS}. */
export type DatabaseOperation = (typeof DATABASE_OPERATIONS)[number];

/** Records what deadbolt measures. Every method is cheap, synchronous and never throws. */
export interface Metrics {
	/** Whether anything is recorded (false for {@link NO_METRICS}). */
	readonly enabled: boolean;
	/** A password step ended. */
	signIn(outcome: SignInOutcome): void;
	/** A second-factor check ended. */
	secondFactor(purpose: SecondFactorPurpose, method: SecondFactorMethod, outcome: SecondFactorOutcome): void;
	/**
	 * An account's counter locked (once per lock, however many attempts were refused by it).
	 * @param untilUnlocked - true when the lock lasts until an operator unlocks the account (the hard cap)
	 */
	lockout(factor: LockoutFactor, untilUnlocked: boolean): void;
	/**
	 * The per-client-IP limit refused a request (429).
	 * @param route - the route pattern as registered, with its method (`POST /api/v1/login`): one of
	 *   a fixed set (`http/plugins/rate-limit.ts` CREDENTIAL_ROUTES), never the URL as sent
	 */
	rateLimitRefusal(route: string): void;
	/** A forward-auth request was answered, after `durationSeconds` (from the handler's start to the answer). */
	forwardAuth(decision: ForwardAuthDecision, durationSeconds: number): void;
	/** An argon2id hash or verification started after waiting `waitSeconds` for a free slot. */
	hashQueueWait(operation: HashOperation, waitSeconds: number): void;
	/** A database call or transaction took `durationSeconds`. */
	database(operation: DatabaseOperation, durationSeconds: number): void;
}

const nothing = (): void => {};

/** Records nothing: what deadbolt uses while `metrics.enabled` is false. */
export const NO_METRICS: Metrics = Object.freeze({
	enabled: false,
	signIn: nothing,
	secondFactor: nothing,
	lockout: nothing,
	rateLimitRefusal: nothing,
	forwardAuth: nothing,
	hashQueueWait: nothing,
	database: nothing,
});

/** Seconds elapsed since `startedAt`, a `performance.now()` instant (milliseconds). */
export function secondsSince(startedAt: number): number {
	return (performance.now() - startedAt) / 1000;
}

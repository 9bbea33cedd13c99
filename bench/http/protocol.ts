/**
 * The IPC messages between the benchmark driver (`bench/http.ts`) and its server processes
 * (`bench/http/server.ts`, `bench/http/hand-verify.ts`, `bench/http/floor.ts`), over the `ipc`
 * channel of `child_process.spawn`.
 * Every request carries an `id`; the answer repeats it.
 */

/** The password of every benchmark account (passes deadbolt's password policy). */
export const BENCH_PASSWORD = "correct horse battery staple";

/** The User-Agent with which the bench server creates its accounts: sign-ins that send it come from a device the account knows. */
export const BENCH_USER_AGENT = "deadbolt-bench";

/** A prepared second step: a live login challenge and a code valid for it, used once. */
export interface SecondStepItem {
	readonly challengeToken: string;
	readonly code: string;
}

/** A prepared full sign-in: an account with 2FA on, and the code it will type (used once). */
export interface LoginItem {
	readonly email: string;
	readonly code: string;
}

/** A prepared request to the hand-written verify (bench/http/hand-verify.ts): a row of its own and its current code, used once. */
export interface HandVerifyItem {
	readonly accountId: string;
	readonly code: string;
}

/** Event-loop delay over a window, in milliseconds, with the timer's own resolution taken off. */
export interface LoopDelay {
	readonly p50Ms: number;
	readonly p99Ms: number;
	readonly maxMs: number;
	readonly samples: number;
}

/** CPU time of a server's threads, milliseconds (Linux). */
export interface ThreadTimes {
	/** The main thread (the event loop) on a CPU. */
	readonly mainMs: number;
	/** The main thread runnable but waiting for a CPU. */
	readonly mainWaitMs: number;
	/** Every other thread on a CPU (libuv's pool: argon2id; V8's helpers). */
	readonly otherMs: number;
}

/** What a server saw of itself during one round. */
export interface RoundObservation {
	readonly loop: LoopDelay;
	/** null where the system does not tell. */
	readonly threads: ThreadTimes | null;
	readonly seconds: number;
}

/** What the driver asks of both servers: observing a round. */
export type ObserveRequest =
	/** Starts observing (event-loop delay, thread CPU times). */
	| { readonly id: number; readonly type: "observe-start" }
	/** Stops; returns what happened since `observe-start`. */
	| { readonly id: number; readonly type: "observe-stop" };

/** The answers to {@link ObserveRequest}. */
export type ObserveReply =
	| { readonly id: number; readonly type: "observe-started" }
	| { readonly id: number; readonly type: "observed"; readonly observation: RoundObservation }
	| { readonly id: number; readonly type: "error"; readonly message: string };

/** What the driver asks of the deadbolt bench server. */
export type ServerRequest =
	/**
	 * Creates accounts with 2FA on; returns `secondStep` challenges and `logins` accounts for a fresh
	 * time step. `verified`: their addresses are verified (so alerts are mailed to them).
	 */
	| { readonly id: number; readonly type: "seed"; readonly secondStep: number; readonly logins: number; readonly verified?: boolean }
	/**
	 * Creates an account with a verified address and no 2FA, signs it in (a password-only session)
	 * and returns its session token (`sessionToken`, for `Authorization: Bearer`) and its
	 * forward-auth cookie value (`forwardAuthToken` of the session's token).
	 */
	| { readonly id: number; readonly type: "forward-auth-session" }
	/**
	 * Runs raw `@node-rs/argon2` verifications, `concurrency` at a time (null: as many as deadbolt
	 * hashes at once, `password.hashConcurrency`), for `durationMs`.
	 */
	| { readonly id: number; readonly type: "argon2"; readonly concurrency: number | null; readonly durationMs: number }
	/**
	 * The hand-written server (hand-verify.ts): inserts `verifies` rows (a random TOTP key each,
	 * last step 0) and one live session; returns a code for each row and the session's token.
	 */
	| { readonly id: number; readonly type: "hand-seed"; readonly verifies: number }
	| ObserveRequest
	/** Starts the V8 CPU profiler (node:inspector). */
	| { readonly id: number; readonly type: "profile-start" }
	/** Stops it and writes the profile to `file` (open it in Chrome DevTools or speedscope). */
	| { readonly id: number; readonly type: "profile-stop"; readonly file: string };

/** The answers. */
export type ServerReply =
	| { readonly id: number; readonly type: "seeded"; readonly secondStep: SecondStepItem[]; readonly logins: LoginItem[]; readonly accounts: number; readonly seconds: number }
	| { readonly id: number; readonly type: "forward-auth-session"; readonly accountId: string; readonly email: string; readonly sessionToken: string; readonly forwardAuthToken: string }
	| { readonly id: number; readonly type: "argon2"; readonly verifications: number; readonly seconds: number; readonly concurrency: number; readonly threadpoolSize: number }
	| { readonly id: number; readonly type: "hand-seeded"; readonly verifies: HandVerifyItem[]; readonly sessionToken: string; readonly seconds: number }
	| ObserveReply
	| { readonly id: number; readonly type: "profile-started" }
	| { readonly id: number; readonly type: "profile-written"; readonly file: string };

/** Sent once by every server process when it listens. */
export interface ReadyMessage {
	readonly type: "ready";
	readonly port: number;
}

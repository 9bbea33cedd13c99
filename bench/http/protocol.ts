/**
 * The IPC messages between the benchmark driver (`bench/http.ts`) and its server processes
 * (`bench/http/server.ts`, `bench/http/floor.ts`), over the `ipc` channel of `child_process.spawn`.
 * Every request carries an `id`; the answer repeats it.
 */

/** The password of every benchmark account (passes deadbolt's password policy). */
export const BENCH_PASSWORD = "correct horse battery staple";

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

/** Event-loop delay over a window, in milliseconds, with the timer's own resolution taken off. */
export interface LoopDelay {
	readonly p50Ms: number;
	readonly p99Ms: number;
	readonly maxMs: number;
	readonly samples: number;
}

/** What the driver asks of the deadbolt bench server. */
export type ServerRequest =
	/** Creates accounts with 2FA on; returns `secondStep` challenges and `logins` accounts for a fresh time step. */
	| { readonly id: number; readonly type: "seed"; readonly secondStep: number; readonly logins: number }
	/** Runs raw `@node-rs/argon2` verifications, `concurrency` at a time, for `durationMs`. */
	| { readonly id: number; readonly type: "argon2"; readonly concurrency: number; readonly durationMs: number }
	/** Starts recording the event-loop delay. */
	| { readonly id: number; readonly type: "loop-start" }
	/** Stops recording; returns the delay since `loop-start`. */
	| { readonly id: number; readonly type: "loop-stop" }
	/** Starts the V8 CPU profiler (node:inspector). */
	| { readonly id: number; readonly type: "profile-start" }
	/** Stops it and writes the profile to `file` (open it in Chrome DevTools or speedscope). */
	| { readonly id: number; readonly type: "profile-stop"; readonly file: string };

/** The answers. */
export type ServerReply =
	| { readonly id: number; readonly type: "seeded"; readonly secondStep: SecondStepItem[]; readonly logins: LoginItem[]; readonly accounts: number; readonly seconds: number }
	| { readonly id: number; readonly type: "argon2"; readonly verifications: number; readonly seconds: number; readonly threadpoolSize: number }
	| { readonly id: number; readonly type: "loop-started" }
	| { readonly id: number; readonly type: "loop"; readonly delay: LoopDelay }
	| { readonly id: number; readonly type: "profile-started" }
	| { readonly id: number; readonly type: "profile-written"; readonly file: string }
	| { readonly id: number; readonly type: "error"; readonly message: string };

/** Sent once by every server process when it listens. */
export interface ReadyMessage {
	readonly type: "ready";
	readonly port: number;
}

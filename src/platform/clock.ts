/**
 * Time as the rest of deadbolt sees it. Domain and service code never read the wall clock
 * themselves; they receive a {@link Clock} (DESIGN.md rule 3).
 */

/** An instant as milliseconds since the Unix epoch (1970-01-01T00:00:00Z), always UTC. */
export type UnixMillis = number;

/** A source of the current time. */
export interface Clock {
	/** @returns the current instant in epoch milliseconds (UTC; time zones never matter). */
	now(): UnixMillis;
}

/** The process clock, `Date.now()`. */
export const systemClock: Clock = Object.freeze({
	now(): UnixMillis {
		return Date.now();
	},
});

/** A clock for tests: it stands still until moved. */
export interface FixedClock extends Clock {
	/** Moves the clock forward by `ms` milliseconds (negative moves it back). */
	advance(ms: number): void;
	/** Sets the clock to `at` (epoch milliseconds). */
	set(at: UnixMillis): void;
}

/**
 * Creates a {@link FixedClock} that starts at `at`.
 * @param at - start instant in epoch milliseconds
 */
export function fixedClock(at: UnixMillis): FixedClock {
	let current = at;
	return {
		now: () => current,
		advance: (ms: number) => {
			current += ms;
		},
		set: (value: UnixMillis) => {
			current = value;
		},
	};
}

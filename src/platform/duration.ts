/** A length of time in words, for people: mails and pages that say how long a link works. */

/**
 * "30 minutes", "2 hours" or "1 day": whole days when it is some, else whole hours, else minutes
 * (rounded, at least 1).
 * @param seconds - the length, in seconds
 */
export function describeDuration(seconds: number): string {
	const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`;
	if (seconds % 86_400 === 0) return plural(seconds / 86_400, "day");
	if (seconds % 3_600 === 0) return plural(seconds / 3_600, "hour");
	return plural(Math.max(1, Math.round(seconds / 60)), "minute");
}

/** A wait in words for an error message: "45 seconds", "3 minutes" (rounded up). Not re-exported by `errors.ts`. */
export function describeSeconds(seconds: number): string {
	if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
	const minutes = Math.ceil(seconds / 60);
	return `${minutes} minutes`;
}

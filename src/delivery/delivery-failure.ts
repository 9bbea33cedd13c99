/**
 * How a failed attempt is told to the dispatcher: an ordinary `Error` is worth another attempt
 * (a server down, HTTP 500, a timeout); a {@link PermanentFailure} is not (the account or endpoint
 * is gone, HTTP 410 Gone, the link's token is gone), and the delivery is dead at once.
 */

/** A failure that trying again cannot cure: the delivery becomes dead at once. */
export class PermanentFailure extends Error {
	constructor(message: string) {
		super(message);
		this.name = "PermanentFailure";
	}
}

/** A failure in a few words for the delivery log and `lastError` (never a secret: messages are ours or a library's, the URL is not in them). */
export function describeFailure(error: unknown): string {
	if (error instanceof Error) {
		const code = (error as { code?: unknown }).code;
		const text = error.message.replace(/\s+/g, " ").trim();
		return (typeof code === "string" && !text.includes(code) ? `${code}: ${text}` : text).slice(0, 200) || error.name;
	}
	return String(error).slice(0, 200);
}

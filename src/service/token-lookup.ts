/**
 * Finding the row behind an opaque `<id>.<secret>` token (sessions, login challenges): parse,
 * look the id up, compare the secret's hash in constant time.
 */
import { parseToken, verifyTokenSecret } from "../domain/crypto/token.js";

/**
 * The record a token stands for.
 * @param find - looks a record up by the token's id
 * @returns the record, or null when the token is malformed, unknown or its secret does not match
 */
export async function findByToken<R extends { readonly secretHash: string }>(token: string, find: (id: string) => Promise<R | null>): Promise<R | null> {
	const parsed = parseToken(token);
	if (parsed === null) return null;
	const record = await find(parsed.id);
	return record !== null && verifyTokenSecret(parsed.secret, record.secretHash) ? record : null;
}

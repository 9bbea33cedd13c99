/**
 * User journeys over the JSON API (docs/http-api.md), for tests that drive real `deadbolt serve`
 * processes: sign up, set up two-factor authentication (possibly starting on one instance and
 * confirming on another), the password step of a sign-in.
 */
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { authenticatorOf, type APIClient, type APIResponse, type Authenticator } from "./api-client.js";

/** The password of every test account (not on the common-password list). */
export const PASSWORD = "correct horse battery staple";

/** A fresh, unique email address. */
export function uniqueEmail(label = "user"): string {
	return `${label}-${randomBytes(6).toString("hex")}@example.com`;
}

/** Fails with the whole answer when its status (and code) is not the expected one. */
export function expectAnswer(response: APIResponse, status: number, code?: string): void {
	const detail = `${String(response.status)} ${JSON.stringify(response.body)}`;
	expect(response.status, detail).toBe(status);
	if (code !== undefined) expect(response.body?.code, detail).toBe(code);
}

/** A signed-up account and its first session (AAL1). */
export interface SignedUp {
	readonly email: string;
	readonly accountId: string;
	readonly sessionId: string;
	readonly token: string;
}

/** `POST /api/v1/accounts` with {@link PASSWORD}. */
export async function signUp(api: APIClient, email = uniqueEmail()): Promise<SignedUp> {
	const response = await api.post("/api/v1/accounts", { body: { email, password: PASSWORD } });
	expectAnswer(response, 201);
	return { email, accountId: response.body.account.id, sessionId: response.body.session.id, token: response.body.session.token };
}

/** A setup begun: the key as an authenticator app holds it after scanning the QR code. */
export interface PendingSetup {
	readonly keyUri: string;
	readonly authenticator: Authenticator;
	/** The session's token from here on: step 1 proved the password, so the session was rotated. */
	readonly token: string;
}

/** `POST /api/v1/two-factor/totp/enrollment` with the password. */
export async function beginSetup(api: APIClient, token: string): Promise<PendingSetup> {
	const response = await api.post("/api/v1/two-factor/totp/enrollment", { token, body: { password: PASSWORD } });
	expectAnswer(response, 201);
	return { keyUri: response.body.keyUri, authenticator: authenticatorOf(response.body.keyUri), token: response.body.session.token };
}

/** `POST /api/v1/two-factor/totp/enrollment/confirm` with the current code. @returns the recovery codes and the session's new token */
export async function confirmSetup(api: APIClient, token: string, authenticator: Authenticator): Promise<{ recoveryCodes: string[]; token: string }> {
	const response = await api.post("/api/v1/two-factor/totp/enrollment/confirm", { token, body: { code: authenticator.codeAt() } });
	expectAnswer(response, 200);
	return { recoveryCodes: response.body.recoveryCodes, token: response.body.session.token };
}

/** An account with two-factor authentication on. */
export interface SignedUpWith2FA extends SignedUp {
	readonly authenticator: Authenticator;
	readonly recoveryCodes: readonly string[];
}

/** Signs up on `start` and sets up 2FA there, confirming it on `confirm` (default the same instance). */
export async function signUpWith2FA(start: APIClient, confirm: APIClient = start, email = uniqueEmail("2fa")): Promise<SignedUpWith2FA> {
	const account = await signUp(start, email);
	const setup = await beginSetup(start, account.token);
	const { recoveryCodes, token } = await confirmSetup(confirm, setup.token, setup.authenticator);
	return { ...account, token, authenticator: setup.authenticator, recoveryCodes };
}

/**
 * A code the account has not used yet: the one of the NEXT time step. Every step is accepted
 * once per account, and the setup used the current one; the server accepts one step of drift.
 */
export function nextStepCode(authenticator: Authenticator): string {
	return authenticator.codeAt(Date.now() + 30_000);
}

/** `POST /api/v1/login` of a 2FA account. @returns the challenge token */
export async function passwordStep(api: APIClient, email: string): Promise<string> {
	const response = await api.post("/api/v1/login", { body: { email, password: PASSWORD } });
	expectAnswer(response, 200);
	expect(response.body.status, JSON.stringify(response.body)).toBe("two_factor_required");
	return response.body.challenge.challengeToken;
}

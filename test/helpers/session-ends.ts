/**
 * Every way a deadbolt session ends (or its token rotates), as a table the revocation tests of each
 * surface share (forward-auth: test/service/forward-auth-revocation.test.ts; OpenID Connect:
 * test/service/oidc-revocation.test.ts): a scene of two instances on one database and two sessions,
 * and for each way, what must be refused and what must still pass after it.
 */
import { expect } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import type { AccountRecord } from "../../src/storage/store.js";
import type { Backend } from "./backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "./deadbolt.js";
import { PASSWORD, passwordStep, signUp, signUpWith2FA } from "./flows.js";
import { lastMailedToken } from "./mailed-links.js";

export const NEW_PASSWORD = "a brand new passphrase";
export const IDLE_TTL_SECONDS = 3_600;
export const ABSOLUTE_TTL_SECONDS = 7_200;
export const OVERRIDES = {
	http: { publicUrl: "http://auth.example.test", trustedProxies: ["loopback"] },
	session: { cookieDomain: "example.test", idleTtlSeconds: IDLE_TTL_SECONDS, absoluteTtlSeconds: ABSOLUTE_TTL_SECONDS },
	accessControl: { defaultPolicy: "deny", rules: [{ domains: ["app.example.test"], policy: "one_factor" }] },
};
/** A request through the proxy to the protected app. */
export const REQUEST = { host: "app.example.test", pathAndQuery: "/reports", method: "GET", clientAddress: "127.0.0.1" } as const;
/** One TOTP step, in milliseconds (each step is accepted once per account). */
export const STEP_MS = 30_000;

let counter = 0;
const freshEmail = (label: string) => `revoke-${label}-${++counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;

/** What a row's account starts with. */
export type Start = "password" | "two_factor" | "no_password";

/** Two deadbolt instances on one database, an account, and two sessions of it: `a` on instance 1, `b` on instance 2. */
export interface Scene {
	readonly one: TestDeadbolt;
	readonly two: TestDeadbolt;
	readonly account: AccountRecord;
	readonly email: string;
	/** Session tokens (the dashboard's cookie; the forward-auth cookie is derived from it). */
	readonly a: string;
	readonly b: string;
	/** The authenticator's key (2FA accounts). */
	readonly key: Uint8Array | null;
	/** Moves both instances' clocks. */
	advance(ms: number): void;
	/** A request of the surface under test with that session (it records activity, as a use does); it must pass. */
	use(t: TestDeadbolt, sessionToken: string): Promise<void>;
}

/** After a row's action: the session tokens whose forward-auth cookie must now be refused, and those that must still pass. */
export interface Expected {
	readonly refused: Readonly<Record<string, string>>;
	readonly allowed: Readonly<Record<string, string>>;
	/** Sessions that go on but whose OpenID Connect grants end (their tokens claimed a factor the account no longer has). */
	readonly oidcGrantsEnded?: Readonly<Record<string, string>>;
}

export interface Row {
	readonly way: string;
	readonly start: Start;
	end(scene: Scene): Promise<Expected>;
}

const live = (t: TestDeadbolt, token: string) => t.deadbolt.validateSession(token);

/** Every way a session ends (or its token rotates), with what must be refused and what must still pass after it. */
export const SESSION_ENDS: readonly Row[] = [
	{
		way: "sign out (logout)",
		start: "password",
		async end({ one, a, b }) {
			await one.deadbolt.logout(a);
			return { refused: { "the signed-out session": a }, allowed: { "the other session": b } };
		},
	},
	{
		way: "an operator's sign out everywhere (admin API, CLI)",
		start: "password",
		async end({ one, a, b }) {
			const account = await live(one, a);
			expect((await one.deadbolt.signOutAccountEverywhere({ accountId: account.account.id })).sessionsRevoked).toBe(2);
			return { refused: { "one session": a, "the other session": b }, allowed: {} };
		},
	},
	{
		way: "revoke one session from another (sessions page)",
		start: "password",
		async end({ one, a, b }) {
			await one.deadbolt.revokeSession(await live(one, a), sessionIdOf(b));
			return { refused: { "the revoked session": b }, allowed: { "the session that revoked it": a } };
		},
	},
	{
		way: "revoke the other sessions",
		start: "password",
		async end({ one, a, b }) {
			expect(await one.deadbolt.revokeOtherSessions(await live(one, a))).toBe(1);
			return { refused: { "the other session": b }, allowed: { "the session that asked": a } };
		},
	},
	{
		way: "sign out everywhere",
		start: "password",
		async end({ two, a, b }) {
			expect((await two.deadbolt.signOutEverywhere(await live(two, b))).sessionsRevoked).toBe(2);
			return { refused: { "the session on instance 1": a, "the session that asked, on instance 2": b }, allowed: {} };
		},
	},
	{
		way: "password change",
		start: "password",
		async end({ one, a, b }) {
			const { sessionToken } = await one.deadbolt.changePassword(await live(one, a), { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
			return { refused: { "the other session": b, "this session's old token": a }, allowed: { "this session's new token": sessionToken } };
		},
	},
	{
		way: "first password set (an account made without one)",
		start: "no_password",
		async end({ one, a, b }) {
			const { sessionToken } = await one.deadbolt.changePassword(await live(one, a), { newPassword: NEW_PASSWORD });
			return { refused: { "the other session": b, "this session's old token": a }, allowed: { "this session's new token": sessionToken } };
		},
	},
	{
		way: "password reset by mailed link",
		start: "password",
		async end({ one, two, email, a, b }) {
			await one.deadbolt.requestPasswordReset({ email });
			await two.deadbolt.resetPassword({ token: await lastMailedToken(one.store, email, "password.reset"), newPassword: NEW_PASSWORD });
			return { refused: { "the session on instance 1": a, "the session on instance 2": b }, allowed: {} };
		},
	},
	{
		way: "2FA turned on",
		start: "password",
		async end({ one, a, b }) {
			const auth = await live(one, a);
			const pending = await one.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
			const proved = await live(one, pending.sessionToken!);
			const confirmed = await one.deadbolt.confirmTOTPEnrollment(proved.account, proved.session, { code: generateTOTP(decodeBase32(pending.secret), one.clock.now()) });
			expect(confirmed.otherSessionsRevoked).toBe(1);
			return {
				refused: { "the password-only session": b, "this session's token before setup": a, "this session's token after the password step": pending.sessionToken! },
				allowed: { "this session's new token": confirmed.sessionToken },
			};
		},
	},
	{
		way: "2FA turned off",
		start: "two_factor",
		async end({ one, a, b, key, advance }) {
			advance(STEP_MS);
			const result = await one.deadbolt.disableTOTP(await live(one, a), { password: PASSWORD, code: generateTOTP(key!, one.clock.now()) });
			expect(result.otherSessionsRevoked).toBe(1);
			return { refused: { "the other session": b }, allowed: { "the session that turned it off": a }, oidcGrantsEnded: { "the session that turned it off (its apps' tokens said AAL2)": a } };
		},
	},
	{
		way: "new phone (the authenticator replaced)",
		start: "two_factor",
		async end({ one, a, b, key, advance }) {
			// Moving to a new phone needs both factors proved recently: a re-authentication (rotation), then setup and code.
			advance(STEP_MS);
			const reauthenticated = await one.deadbolt.reauthenticate(await live(one, a), { password: PASSWORD, code: generateTOTP(key!, one.clock.now()) });
			const auth = await live(one, reauthenticated.sessionToken);
			const pending = await one.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {});
			const confirmed = await one.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: generateTOTP(decodeBase32(pending.secret), one.clock.now()) });
			expect(confirmed.replaced).toBe(true);
			return {
				// Every other session ends too: one may live on the lost phone.
				refused: { "this session's token before": a, "this session's token after the re-authentication": reauthenticated.sessionToken, "the other session": b },
				allowed: { "this session's new token": confirmed.sessionToken },
			};
		},
	},
	{
		way: "\"my account is compromised\"",
		start: "password",
		async end({ one, a, b }) {
			const summary = await one.deadbolt.secureCompromisedAccount(await live(one, a), { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
			expect(summary.otherSessionsRevoked).toBe(1);
			return { refused: { "the other session": b, "this session's old token": a }, allowed: { "this session's new token": summary.sessionToken } };
		},
	},
	{
		way: "re-authentication (the token rotates)",
		start: "password",
		async end({ one, a, b }) {
			const { sessionToken } = await one.deadbolt.reauthenticate(await live(one, a), { password: PASSWORD });
			return { refused: { "this session's old token": a }, allowed: { "this session's new token": sessionToken, "the other session": b } };
		},
	},
	{
		way: "idle expiry (session.idleTtlSeconds without a request)",
		start: "password",
		async end({ one, a, b, advance, use }) {
			// Halfway, only b is used (a request records activity): a stays idle.
			advance((IDLE_TTL_SECONDS * 1_000) / 2);
			await use(one, b);
			advance((IDLE_TTL_SECONDS * 1_000) / 2);
			return { refused: { "the idle session": a }, allowed: { "the session in use": b } };
		},
	},
	{
		way: "absolute expiry (session.absoluteTtlSeconds, however active)",
		start: "password",
		async end({ one, two, email, a, advance, use }) {
			// a is used every half idle period (never idle) until its absolute end; c, signed in later, outlives it.
			const quarter = (ABSOLUTE_TTL_SECONDS * 1_000) / 4;
			advance(quarter);
			const c = await passwordSignIn(two, email);
			for (let i = 0; i < 3; i++) {
				await use(one, a);
				await use(two, c);
				advance(quarter);
			}
			return { refused: { "the session at its absolute end": a }, allowed: { "a session signed in later": c } };
		},
	},
];


/** The session id of a session token (`<id>.<secret>`). */
export function sessionIdOf(token: string): string {
	return token.split(".")[0]!;
}

/** A password-only sign-in on `t`: its session token. */
export async function passwordSignIn(t: TestDeadbolt, email: string): Promise<string> {
	const result = await t.deadbolt.beginLogin({ email, password: PASSWORD });
	if (result.kind !== "session") throw new Error("expected a session");
	return result.session.token;
}

/**
 * Two deadbolt instances on one database of `backend`, an account that starts as `start`, and two
 * sessions of it (`a` on instance 1, `b` on instance 2). The instances go into `instances` (closed by the caller).
 */
export async function openScene(backend: Backend, start: Start, label: string, instances: TestDeadbolt[], use: Scene["use"], overrides: unknown = OVERRIDES): Promise<Scene> {
	const [storeOne, storeTwo] = await backend.openInstances(2);
	const one = await createTestDeadbolt({ store: storeOne!, overrides, seed: "revoke-1" });
	const two = await createTestDeadbolt({ store: storeTwo!, overrides, seed: "revoke-2" });
	instances.push(one, two);
	const advance = (ms: number) => {
		one.clock.advance(ms);
		two.clock.advance(ms);
	};
	const email = freshEmail(label);
	if (start === "no_password") {
		const account = await one.deadbolt.createAccountWithoutPassword(email);
		const redeem = async (t: TestDeadbolt) => {
			const result = await t.deadbolt.redeemSignInLink({ token: (await t.deadbolt.issueSignInLink(email)).token });
			if (result.kind !== "session") throw new Error("expected a session");
			return result.session.token;
		};
		return { one, two, account, email, a: await redeem(one), b: await redeem(two), key: null, advance, use };
	}
	if (start === "password") {
		const user = await signUp(one, email);
		await one.store.accounts.markEmailVerified(user.account.id, one.clock.now());
		return { one, two, account: user.account, email, a: user.session.token, b: await passwordSignIn(two, email), key: null, advance, use };
	}
	const user = await signUpWith2FA(one, email);
	await one.store.accounts.markEmailVerified(user.account.id, one.clock.now());
	// The next step's code: the setup used this one.
	advance(STEP_MS);
	const signedIn = await two.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(two, email), code: generateTOTP(user.key, two.clock.now()) });
	return { one, two, account: user.account, email, a: user.session.token, b: signedIn.token, key: user.key, advance, use };
}


/**
 * Operators' changes to an account (issue 14 item 1: `service/admin-actions.ts`), on SQLite and
 * PostgreSQL: disabling ends every surface at once (sessions, the forward-auth cookie, an OpenID
 * Connect grant with its back-channel logout, tokens, links) and keeps the account out of every
 * sign-in until enabled; deleting ends everything first and keeps only the documented record;
 * resetting 2FA needs a reason, turns 2FA off cleanly, is audited and mailed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { AccountDisabled, InvalidCredentials, InvalidRequest, NotFound, SignInLinkInvalid, TOTPNotEnabled } from "../../src/errors.js";
import { alertMailContent } from "../../src/delivery/templates/alert-mails.js";
import type { OperatorActor } from "../../src/service/admin.js";
import type { AlertMailFacts } from "../../src/service/outbox.js";
import type { Store } from "../../src/storage/store.js";
import { testBackends, type Backend } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";
import { mailsTo } from "../helpers/mailed-links.js";
import { OVERRIDES, REQUEST } from "../helpers/session-ends.js";

const SECRET = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
const CLIENT_ID = "wiki";
const SETTINGS = {
	...OVERRIDES,
	oidc: { clients: [{ id: CLIENT_ID, secret: "a-client-secret-of-at-least-32-chars!!", redirectUris: ["https://wiki.example.test/callback"], backchannelLogoutUri: "https://wiki.example.test/backchannel-logout", firstParty: true }] },
	webhooks: { endpoints: [{ url: "https://hooks.example.test/deadbolt", events: ["*"], secret: SECRET }], allowedNetworks: [], timeoutSeconds: 10 },
};
const CLI: OperatorActor = { via: "cli", operator: "alice" };
const API: OperatorActor = { via: "admin_api", context: { ipAddress: "198.51.100.7", userAgent: "backend/1.0" } };

let counter = 0;
const email = (label: string) => `admin-${label}-${++counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;

/** The provider's rows for one sign-in of the app under a session (as `oidc/adapter.ts` writes them). */
async function signInToApp(t: TestDeadbolt, sessionToken: string): Promise<{ grantId: string; refreshTokenId: string }> {
	const auth = await t.deadbolt.validateSession(sessionToken);
	const suffix = Math.random().toString(36).slice(2, 10);
	const grantId = `grant-${suffix}`;
	const refreshTokenId = `rt-${suffix}`;
	await t.deadbolt.oidc.payloads.upsert("Grant", grantId, { kind: "Grant", jti: grantId, accountId: auth.account.id, clientId: CLIENT_ID, openid: { scope: "openid" } }, 86_400);
	await t.deadbolt.oidc.bindGrant(grantId, auth);
	await t.deadbolt.oidc.payloads.upsert("RefreshToken", refreshTokenId, { kind: "RefreshToken", jti: refreshTokenId, grantId, accountId: auth.account.id, clientId: CLIENT_ID, sid: `sid-${suffix}` }, 86_400);
	await t.deadbolt.oidc.noteGrantUse(grantId, `sid-${suffix}`);
	return { grantId, refreshTokenId };
}

async function webhookKinds(store: Store): Promise<{ kind: string; accountId: string | null; payload: string }[]> {
	return (await store.outbox.listDeliveries({ channel: "webhook", limit: 500 })).map((d) => ({ kind: d.kind, accountId: d.accountId, payload: d.payload }));
}

for (const backend of await testBackends()) {
	describe(`operators' account actions on ${backend.name}`, () => {
		let t: TestDeadbolt;
		afterEach(async () => {
			await t.deadbolt.close();
		});
		const start = async () => {
			t = await createTestDeadbolt({ store: await (backend as Backend).open(), overrides: SETTINGS });
		};
		const forwardAuth = (sessionToken: string) => t.deadbolt.decideAccess(REQUEST, { kind: "forward_auth_cookie", token: t.deadbolt.forwardAuthToken(sessionToken)! });

		it("disable ends every surface at once: sessions, the forward-auth cookie, an OpenID Connect grant (the app is told), tokens, links", async () => {
			await start();
			const user = await signUp(t, email("disable"));
			await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
			const auth = await t.deadbolt.validateSession(user.session.token);
			expect((await forwardAuth(user.session.token)).kind).toBe("allow");
			const app = await signInToApp(t, user.session.token);
			const token = await t.deadbolt.createAccessToken(auth, { name: "script", hosts: ["app.example.test"], expiresInDays: 30 });
			const link = await t.deadbolt.issueSignInLink(user.email);
			const disabled = await t.deadbolt.disableAccount({ email: user.email }, CLI, "ticket 42");
			expect(disabled).toMatchObject({ accountId: user.account.id, changed: true, sessionsRevoked: 1, accessTokensRevoked: 1 });
			await expect(t.deadbolt.validateSession(user.session.token)).rejects.toThrow();
			expect((await forwardAuth(user.session.token)).kind).not.toBe("allow");
			expect(await t.deadbolt.oidc.payloads.find("RefreshToken", app.refreshTokenId)).toBeUndefined();
			expect((await webhookKinds(t.store)).filter((d) => d.kind === "oidc.backchannel_logout" && d.accountId === user.account.id)).toHaveLength(1);
			expect((await t.deadbolt.validateAccessToken(token.token, "app.example.test")).kind).toBe("refused");
			await expect(t.deadbolt.redeemSignInLink({ token: link.token })).rejects.toBeInstanceOf(SignInLinkInvalid);
			// Audited with who and how; a second disable changes and records nothing.
			const events = (await t.deadbolt.listSecurityEvents(user.account.id)).filter((e) => e.type === "account.disabled");
			expect(events.map((e) => e.details)).toEqual([{ by: "operator", via: "cli", operator: "alice", reason: "ticket 42", sessionsRevoked: 1, trustedDevicesRevoked: 0, accessTokensRevoked: 1 }]);
			expect((await t.deadbolt.disableAccount({ accountId: user.account.id }, API)).changed).toBe(false);
			expect((await t.deadbolt.listSecurityEvents(user.account.id)).filter((e) => e.type === "account.disabled")).toHaveLength(1);
		});

		it("a disabled account signs in nowhere (password, sign-in link, password reset) and a wrong password still says only that; enabled, it signs in again", async () => {
			await start();
			const user = await signUp(t, email("signin"));
			await t.deadbolt.disableAccount({ accountId: user.account.id }, API);
			await expect(t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).rejects.toBeInstanceOf(AccountDisabled);
			await expect(t.deadbolt.beginLogin({ email: user.email, password: "not the password at all" })).rejects.toBeInstanceOf(InvalidCredentials);
			await expect(t.deadbolt.issueSignInLink(user.email)).rejects.toBeInstanceOf(AccountDisabled);
			// Asking for a reset mails nothing (the answer is every address's: `password-reset.test.ts`).
			await t.deadbolt.requestPasswordReset({ email: user.email });
			expect(await mailsTo(t.store, user.email, "password.reset")).toEqual([]);
			await expect(t.deadbolt.beginLogin({ email: user.email, password: "another long enough passphrase" })).rejects.toBeInstanceOf(InvalidCredentials);
			expect(await t.deadbolt.enableAccount({ email: user.email }, CLI)).toMatchObject({ changed: true });
			expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).kind).toBe("session");
			expect((await t.deadbolt.listSecurityEvents(user.account.id)).find((e) => e.type === "account.enabled")?.details).toEqual({ by: "operator", via: "cli", operator: "alice" });
		});

		it("a session, a sign-in link or a half-way sign-in that raced the disable open nothing (the checks beyond the revocation)", async () => {
			await start();
			const user = await signUpWith2FA(t, email("race"));
			await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
			const auth = await t.deadbolt.validateSession(user.session.token);
			const token = await t.deadbolt.createAccessToken(auth, { name: "script", hosts: ["app.example.test"], expiresInDays: 30 });
			const challenge = await passwordStep(t, user.email);
			const link = await t.deadbolt.issueSignInLink(user.email);
			// Only the flag, as if each had been made just after the disable's transaction.
			await t.store.accounts.setAccountDisabled(user.account.id, t.clock.now(), t.clock.now());
			await expect(t.deadbolt.validateSession(user.session.token)).rejects.toThrow();
			expect(await t.deadbolt.validateAccessToken(token.token, "app.example.test")).toEqual({ kind: "refused", reason: "account_disabled" });
			t.clock.advance(30_000);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: challenge, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(AccountDisabled);
			await expect(t.deadbolt.redeemSignInLink({ token: link.token })).rejects.toBeInstanceOf(AccountDisabled);
		});

		it("delete needs a reason, ends everything first (the app is told), deletes what the account owned and keeps the deleted-account record", async () => {
			await start();
			const user = await signUp(t, email("delete"));
			const app = await signInToApp(t, user.session.token);
			await expect(t.deadbolt.deleteAccount({ accountId: user.account.id }, API, "  ")).rejects.toBeInstanceOf(InvalidRequest);
			expect(await t.store.accounts.findAccountById(user.account.id)).not.toBeNull();
			const deleted = await t.deadbolt.deleteAccount({ email: user.email }, CLI, "GDPR erasure, ticket 7");
			expect(deleted).toMatchObject({ accountId: user.account.id, sessionsRevoked: 1 });
			expect(await t.store.accounts.findAccountById(user.account.id)).toBeNull();
			expect(await t.store.securityEvents.listSecurityEvents(user.account.id, 10)).toEqual([]);
			await expect(t.deadbolt.validateSession(user.session.token)).rejects.toThrow();
			expect(await t.deadbolt.oidc.payloads.find("RefreshToken", app.refreshTokenId)).toBeUndefined();
			expect(await t.store.accountDirectory.findDeletedAccount(user.account.id)).toEqual({ accountId: user.account.id, deletedAt: t.clock.now(), createdAt: user.account.createdAt, via: "cli", operator: "alice", reason: "GDPR erasure, ticket 7" });
			// The webhook messages outlive the account: the back-channel logout, account.deleted (and those queued before).
			const outlived = (await webhookKinds(t.store)).filter((d) => d.payload.includes(user.account.id));
			expect(outlived.map((d) => d.kind)).toEqual(expect.arrayContaining(["account.deleted", "oidc.backchannel_logout"]));
			expect(outlived.every((d) => d.accountId === null)).toBe(true);
			const payload = JSON.parse(outlived.find((d) => d.kind === "account.deleted")!.payload) as { data: { email: string; details: Record<string, unknown> } };
			expect(payload.data.email).toBe(user.email);
			expect(payload.data.details).toMatchObject({ by: "operator", via: "cli", operator: "alice", reason: "GDPR erasure, ticket 7" });
			await expect(t.deadbolt.deleteAccount({ accountId: user.account.id }, CLI, "again")).rejects.toBeInstanceOf(NotFound);
		});

		it("reset 2FA needs a reason; it removes the authenticator and recovery codes, ends every session, is audited and mailed (to an unverified address too); 2FA is then off", async () => {
			await start();
			const user = await signUpWith2FA(t, email("reset"));
			await expect(t.deadbolt.resetTwoFactor({ email: user.email }, CLI, "")).rejects.toBeInstanceOf(InvalidRequest);
			expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).kind).toBe("challenge");
			const reset = await t.deadbolt.resetTwoFactor({ email: user.email }, CLI, "lost phone and codes, ID checked (ticket 9)");
			expect(reset).toMatchObject({ accountId: user.account.id, sessionsRevoked: 1 });
			await expect(t.deadbolt.validateSession(user.session.token)).rejects.toThrow();
			expect(await t.store.totpCredentials.findConfirmedTOTPCredential(user.account.id)).toBeNull();
			expect(await t.deadbolt.countUnusedRecoveryCodes(user.account.id)).toBe(0);
			const event = (await t.deadbolt.listSecurityEvents(user.account.id)).find((e) => e.type === "totp.reset");
			expect(event?.details).toEqual({ by: "operator", via: "cli", operator: "alice", reason: "lost phone and codes, ID checked (ticket 9)", sessionsRevoked: 1, trustedDevicesRevoked: 0, accessTokensRevoked: 0 });
			const mails = await mailsTo(t.store, user.email, "two_factor_reset");
			expect(mails).toHaveLength(1);
			const content = alertMailContent({ kind: "two_factor_reset", facts: JSON.parse(mails[0]!.payload) as AlertMailFacts, to: user.email, origin: "https://auth.example.test", productName: "Acme" });
			expect(JSON.stringify(content)).toContain("set up two-factor authentication again");
			expect(JSON.stringify(content)).not.toContain("ticket 9");
			// 2FA is off: the password alone signs in, and the owner can set it up again.
			expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).kind).toBe("session");
			await expect(t.deadbolt.resetTwoFactor({ email: user.email }, API, "again")).rejects.toBeInstanceOf(TOTPNotEnabled);
		});

		it("unlock and sign out everywhere record who did it", async () => {
			await start();
			const user = await signUp(t, email("unlock"));
			await t.store.authFailures.lockAuthFailures(user.account.id, "password", t.clock.now() + 3_600_000, t.clock.now());
			await expect(t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).rejects.toBeInstanceOf(InvalidCredentials);
			await t.deadbolt.unlockAccount({ accountId: user.account.id }, API);
			expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).kind).toBe("session");
			expect((await t.deadbolt.signOutAccountEverywhere({ email: user.email }, CLI)).sessionsRevoked).toBe(2);
			const events = await t.deadbolt.listSecurityEvents(user.account.id);
			expect(events.find((e) => e.type === "account.unlocked")?.details).toEqual({ by: "operator", via: "admin_api" });
			expect(events.find((e) => e.type === "sessions.revoked")?.details).toMatchObject({ scope: "everywhere", by: "operator", via: "cli", operator: "alice", sessions: 2 });
			await expect(t.deadbolt.unlockAccount({ accountId: "not-an-id" }, API)).rejects.toBeInstanceOf(NotFound);
		});
	});
}

/**
 * Personal access tokens (issue 12): created only in sudo mode by a verified account, stored as a
 * hash, reach only their hosts, refused when revoked, expired or wrong, ended by the events that
 * say so, and judged by the access rules as a token (never a recent second factor).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidRequest, NotFound, ReauthenticationRequired, Unauthenticated } from "../../src/errors.js";
import type { AccessRequest } from "../../src/domain/access/access-rules.js";
import type { AccessCredential } from "../../src/service/access.js";
import type { AuthenticatedSession } from "../../src/service/sessions.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, confirmSecondFactorByMail, PASSWORD, signUp, signUpWith2FA, type SignedUp } from "../helpers/flows.js";
import { lastMailedToken } from "../helpers/mailed-links.js";

const DAY_MS = 86_400_000;

const ACCESS_CONTROL = {
	defaultPolicy: "deny",
	rules: [
		{ domains: ["public.example.test"], policy: "bypass" },
		{ domains: ["app.example.test", "other.example.test", "*.apps.example.test"], policy: "one_factor" },
		{ domains: ["admin.example.test"], policy: "two_factor" },
		{ domains: ["stepup.example.test"], policy: "two_factor", maxSecondFactorAgeSeconds: 300 },
		{ domains: ["team.example.test"], policy: "one_factor", accounts: ["nobody@example.test"] },
		{ domains: ["closed.example.test"], policy: "deny" },
	],
};

const at = (host: string, pathAndQuery = "/"): AccessRequest => ({ host, pathAndQuery, method: "GET", clientAddress: "198.51.100.7" });
const bearer = (token: string): AccessCredential => ({ kind: "access_token", token });

for (const backend of await testBackends()) {
	describe(`personal access tokens on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { accessControl: ACCESS_CONTROL } });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		/** A session of `user`, the account's address verified first. */
		async function verified(user: SignedUp): Promise<AuthenticatedSession> {
			await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
			return t.deadbolt.validateSession(user.session.token);
		}

		async function tokenFor(auth: AuthenticatedSession, hosts: string | readonly string[] = ["app.example.test"], expiresInDays = 30) {
			return t.deadbolt.createAccessToken(auth, { name: "backup script", hosts, expiresInDays });
		}

		describe("creating", () => {
			it("is shown once as dbpat_<id>.<secret>; the store keeps only the secret's SHA-256, the hosts, the assurance and the expiry", async () => {
				const auth = await verified(await signUp(t));
				const created = await tokenFor(auth, "App.Example.Test\n*.apps.example.test, app.example.test", 90);
				expect(created.token).toMatch(/^dbpat_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
				expect(created.view).toMatchObject({ name: "backup script", hosts: ["app.example.test", "*.apps.example.test"], aal: "aal1", createdAt: t.clock.now(), expiresAt: t.clock.now() + 90 * DAY_MS, expired: false, lastUsedAt: null });
				const stored = await t.store.accessTokens.findAccessToken(created.view.id);
				expect(stored).not.toBeNull();
				expect(JSON.stringify(stored)).not.toContain(created.token.split(".")[1]);
				expect(stored!.secretHash).toMatch(/^[0-9a-f]{64}$/);
				expect(JSON.stringify(await t.deadbolt.listAccessTokens(auth))).not.toContain(created.token.split(".")[1]);
			});

			it("needs a recent confirmation (sudo mode)", async () => {
				const auth = await verified(await signUp(t));
				t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000);
				const later = await t.deadbolt.validateSession((await signUpSession(auth)).token);
				await expect(tokenFor(later)).rejects.toBeInstanceOf(ReauthenticationRequired);
				expect(await t.deadbolt.listAccessTokens(later)).toEqual([]);
				const confirmed = await t.deadbolt.reauthenticate(later, { password: PASSWORD });
				await expect(tokenFor({ ...later, session: confirmed.session })).resolves.toMatchObject({ view: { name: "backup script" } });
			});

			it("is refused to a session that ended after it was checked (a compromise or sign-out racing the request)", async () => {
				const auth = await verified(await signUp(t));
				await t.deadbolt.revokeSession(auth, auth.session.id);
				await expect(tokenFor(auth)).rejects.toBeInstanceOf(Unauthenticated);
				expect(await t.store.accessTokens.listAccountAccessTokens(auth.account.id)).toEqual([]);
			});

			it("needs a verified address", async () => {
				const user = await signUp(t);
				const auth = await t.deadbolt.validateSession(user.session.token);
				const refused = await tokenFor(auth).catch((error: unknown) => error);
				expect(refused).toBeInstanceOf(InvalidRequest);
				expect((refused as InvalidRequest).violations).toEqual([expect.objectContaining({ field: "email", rule: "unverified" })]);
			});

			it.each([
				[{ name: "  " }, "name", "required"],
				[{ name: "x".repeat(65) }, "name", "too_long"],
				[{ name: "tab\there" }, "name", "invalid"],
				[{ hosts: "" }, "hosts", "required"],
				[{ hosts: ["https://app.example.test/"] }, "hosts", "invalid"],
				[{ hosts: "*.test" }, "hosts", "invalid"],
				[{ hosts: Array.from({ length: 21 }, (_, i) => `h${i}.example.test`) }, "hosts", "too_many"],
				[{ expiresInDays: 0 }, "expiresInDays", "out_of_range"],
				[{ expiresInDays: 366 }, "expiresInDays", "out_of_range"],
				[{ expiresInDays: 1.5 }, "expiresInDays", "out_of_range"],
			])("refuses %j (%s: %s) and makes nothing", async (change, field, rule) => {
				const auth = await verified(await signUp(t));
				const refused = await t.deadbolt.createAccessToken(auth, { name: "n", hosts: ["app.example.test"], expiresInDays: 30, ...change }).catch((error: unknown) => error);
				expect(refused).toBeInstanceOf(InvalidRequest);
				expect((refused as InvalidRequest).violations).toContainEqual(expect.objectContaining({ field, rule }));
				expect(await t.deadbolt.listAccessTokens(auth)).toEqual([]);
			});

			it(`refuses more than 50 live tokens per account; expired ones do not count`, async () => {
				const auth = await verified(await signUp(t));
				await tokenFor(auth, ["app.example.test"], 1);
				t.clock.advance(DAY_MS);
				const fresh = await t.deadbolt.reauthenticate(auth, { password: PASSWORD });
				const now = { ...auth, session: fresh.session };
				for (let i = 0; i < 50; i++) await tokenFor(now);
				const refused = await tokenFor(now).catch((error: unknown) => error);
				expect((refused as InvalidRequest).violations).toContainEqual(expect.objectContaining({ rule: "too_many_tokens" }));
			});

			it("takes the session's assurance: aal2 from a session with a second factor, aal1 from a password-only one", async () => {
				const twoFactor = await signUpWith2FA(t);
				const strong = await tokenFor(await verified(twoFactor));
				expect(strong.view.aal).toBe("aal2");
				expect((await t.store.accessTokens.findAccessToken(strong.view.id))?.aal).toBe(2);
				const weak = await tokenFor(await verified(await signUp(t)));
				expect(weak.view.aal).toBe("aal1");
			});

			it("records access_token.created with safe facts, never the token", async () => {
				const auth = await verified(await signUp(t));
				const created = await tokenFor(auth);
				const [event] = await t.deadbolt.listSecurityEvents(auth.account.id, { limit: 1 });
				expect(event).toMatchObject({ type: "access_token.created", details: { accessTokenId: created.view.id, name: "backup script", hosts: ["app.example.test"], expiresInDays: 30, aal: "aal1" } });
				expect(JSON.stringify(event)).not.toContain(created.token.split(".")[1]);
				expect(JSON.stringify(t.logs)).not.toContain(created.token.split(".")[1]);
			});
		});

		describe("validating", () => {
			it("accepts a live token at its hosts, with its account", async () => {
				const auth = await verified(await signUp(t));
				const { token, view } = await tokenFor(auth, ["app.example.test", "*.apps.example.test"]);
				for (const host of ["app.example.test", "grafana.apps.example.test", "a.b.apps.example.test"]) {
					const result = await t.deadbolt.validateAccessToken(token, host);
					expect(result.kind, host).toBe("valid");
					expect(result.kind === "valid" && result.account.id).toBe(auth.account.id);
					expect(result.kind === "valid" && result.token.id).toBe(view.id);
				}
			});

			it("tells a host it was not made for apart (host_not_covered), and a null host skips the check (introspection)", async () => {
				const { token } = await tokenFor(await verified(await signUp(t)), ["app.example.test", "*.apps.example.test"]);
				for (const host of ["other.example.test", "apps.example.test", "app.example.test.evil.test"]) {
					expect((await t.deadbolt.validateAccessToken(token, host)).kind, host).toBe("host_not_covered");
				}
				expect((await t.deadbolt.validateAccessToken(token, null)).kind).toBe("valid");
			});

			it("refuses a wrong secret for a real id, an unknown id, a malformed token and a session token", async () => {
				const user = await signUp(t);
				const { token } = await tokenFor(await verified(user));
				const [id, secret] = token.slice("dbpat_".length).split(".") as [string, string];
				const otherSecret = `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
				expect(await t.deadbolt.validateAccessToken(`dbpat_${id}.${otherSecret}`, "app.example.test")).toEqual({ kind: "refused", reason: "mismatch" });
				expect(await t.deadbolt.validateAccessToken(`dbpat_${"A".repeat(16)}.${secret}`, "app.example.test")).toEqual({ kind: "refused", reason: "unknown" });
				expect(await t.deadbolt.validateAccessToken(`${token}x`, "app.example.test")).toEqual({ kind: "refused", reason: "malformed" });
				expect(await t.deadbolt.validateAccessToken(token.slice("dbpat_".length), "app.example.test")).toEqual({ kind: "refused", reason: "malformed" });
				expect(await t.deadbolt.validateAccessToken(user.session.token, "app.example.test")).toEqual({ kind: "refused", reason: "malformed" });
			});

			it("refuses a token once it expires", async () => {
				const { token } = await tokenFor(await verified(await signUp(t)), ["app.example.test"], 7);
				t.clock.advance(7 * DAY_MS - 1);
				expect((await t.deadbolt.validateAccessToken(token, "app.example.test")).kind).toBe("valid");
				t.clock.advance(1);
				expect(await t.deadbolt.validateAccessToken(token, "app.example.test")).toEqual({ kind: "refused", reason: "expired" });
			});

			it("writes the last use at most once a minute, with the client address", async () => {
				const auth = await verified(await signUp(t));
				const { token, view } = await tokenFor(auth);
				const first = t.clock.now();
				await t.deadbolt.validateAccessToken(token, "app.example.test", "192.0.2.1");
				t.clock.advance(59_999);
				await t.deadbolt.validateAccessToken(token, "app.example.test", "192.0.2.2");
				expect(await t.store.accessTokens.findAccessToken(view.id)).toMatchObject({ lastUsedAt: first, lastUsedIp: "192.0.2.1" });
				t.clock.advance(1);
				await t.deadbolt.validateAccessToken(token, "app.example.test", "192.0.2.3");
				expect((await t.deadbolt.listAccessTokens(auth))[0]).toMatchObject({ lastUsedAt: first + 60_000, lastUsedIp: "192.0.2.3" });
				// A refused use (another host) is not a use.
				t.clock.advance(120_000);
				await t.deadbolt.validateAccessToken(token, "other.example.test", "192.0.2.4");
				expect((await t.deadbolt.listAccessTokens(auth))[0]).toMatchObject({ lastUsedAt: first + 60_000 });
			});
		});

		describe("listing and revoking", () => {
			it("lists newest first, marks expired ones, and revokes one (the next use is refused) or all", async () => {
				const auth = await verified(await signUp(t));
				const old = await tokenFor(auth, ["app.example.test"], 1);
				t.clock.advance(DAY_MS);
				const fresh = { ...auth, session: (await t.deadbolt.reauthenticate(auth, { password: PASSWORD })).session };
				const a = await tokenFor(fresh);
				t.clock.advance(1);
				const b = await tokenFor(fresh);
				expect((await t.deadbolt.listAccessTokens(fresh)).map((v) => [v.id, v.expired])).toEqual([[b.view.id, false], [a.view.id, false], [old.view.id, true]]);
				await t.deadbolt.revokeAccessToken(fresh, a.view.id);
				expect(await t.deadbolt.validateAccessToken(a.token, "app.example.test")).toEqual({ kind: "refused", reason: "revoked" });
				expect((await t.deadbolt.validateAccessToken(b.token, "app.example.test")).kind).toBe("valid");
				await expect(t.deadbolt.revokeAccessToken(fresh, a.view.id)).rejects.toBeInstanceOf(NotFound);
				expect(await t.deadbolt.revokeAllAccessTokens(fresh)).toBe(2);
				expect(await t.deadbolt.validateAccessToken(b.token, "app.example.test")).toEqual({ kind: "refused", reason: "revoked" });
				expect(await t.deadbolt.listAccessTokens(fresh)).toEqual([]);
				const events = await t.deadbolt.listSecurityEvents(auth.account.id, { limit: 2 });
				expect(events.map((e) => [e.type, e.details])).toEqual([
					["access_token.revoked", { scope: "all", accessTokens: 2 }],
					["access_token.revoked", { scope: "one", accessTokenId: a.view.id }],
				]);
			});

			it("an account cannot revoke another account's token, nor an id of a shape never issued", async () => {
				const alice = await verified(await signUp(t));
				const bob = await verified(await signUp(t));
				const { token, view } = await tokenFor(alice);
				await expect(t.deadbolt.revokeAccessToken(bob, view.id)).rejects.toBeInstanceOf(NotFound);
				await expect(t.deadbolt.revokeAccessToken(bob, "x\u0000y")).rejects.toBeInstanceOf(NotFound);
				expect(await t.deadbolt.revokeAllAccessTokens(bob)).toBe(0);
				expect((await t.deadbolt.validateAccessToken(token, "app.example.test")).kind).toBe("valid");
			});
		});

		describe("what ends them", () => {
			it('"I think my account is compromised" revokes every token', async () => {
				const auth = await verified(await signUp(t));
				const a = await tokenFor(auth);
				const b = await tokenFor(auth, ["other.example.test"]);
				const summary = await t.deadbolt.secureCompromisedAccount(auth, { currentPassword: PASSWORD, newPassword: "a brand new passphrase 2" });
				expect(summary.accessTokensRevoked).toBe(2);
				for (const created of [a, b]) expect((await t.deadbolt.validateAccessToken(created.token, null)).kind).toBe("refused");
			});

			it("a password reset by mail revokes every token", async () => {
				const user = await signUp(t);
				const { token } = await tokenFor(await verified(user));
				await t.deadbolt.requestPasswordReset({ email: user.email });
				const link = await lastMailedToken(t.store, user.email, "password.reset");
				const outcome = await t.deadbolt.resetPassword({ token: link, newPassword: "a brand new passphrase 3" });
				expect(outcome.accessTokensRevoked).toBe(1);
				expect(await t.deadbolt.validateAccessToken(token, null)).toEqual({ kind: "refused", reason: "revoked" });
			});

			it("turning 2FA off revokes every token", async () => {
				const user = await signUpWith2FA(t);
				const auth = await verified(user);
				const { token } = await tokenFor(auth);
				t.clock.advance(30_000);
				const off = await t.deadbolt.disableTOTP(auth, { password: PASSWORD, code: codeAt(t, user.key) });
				expect(off.accessTokensRevoked).toBe(1);
				expect(await t.deadbolt.validateAccessToken(token, null)).toEqual({ kind: "refused", reason: "revoked" });
			});

			it("signing out everywhere and changing the password do not: tokens are revoked on their own", async () => {
				const auth = await verified(await signUp(t));
				const { token } = await tokenFor(auth);
				const changed = await t.deadbolt.changePassword(auth, { currentPassword: PASSWORD, newPassword: "a brand new passphrase 4" });
				await t.deadbolt.signOutEverywhere(await t.deadbolt.validateSession(changed.sessionToken));
				expect((await t.deadbolt.validateAccessToken(token, "app.example.test")).kind).toBe("valid");
			});
		});

		describe("forward-auth decisions", () => {
			it("a token at one of its hosts passes a one_factor rule as its account, with no session and amr pat", async () => {
				const auth = await verified(await signUp(t));
				const { token, view } = await tokenFor(auth);
				const outcome = await t.deadbolt.decideAccess(at("app.example.test", "/api/items"), bearer(token));
				expect(outcome.kind).toBe("allow");
				expect(outcome.kind === "allow" && outcome.identity).toEqual({
					accountId: auth.account.id,
					email: auth.account.email,
					groups: [],
					aal: "aal1",
					amr: ["pat"],
					sessionId: null,
					accessTokenId: view.id,
					authTime: view.createdAt,
					secondFactorAt: null,
				});
			});

			it("a token at a host it was not made for is denied token_host, though the rule would let its account in", async () => {
				const { token } = await tokenFor(await verified(await signUp(t)), ["app.example.test"]);
				const outcome = await t.deadbolt.decideAccess(at("other.example.test"), bearer(token));
				expect(outcome).toMatchObject({ kind: "deny", reason: "token_host" });
			});

			it("an aal1 token at a two_factor rule is denied token_assurance (never sent to step up); an aal2 token passes once the authenticator is confirmed by mail", async () => {
				const weak = await tokenFor(await verified(await signUp(t)), ["admin.example.test"]);
				expect(await t.deadbolt.decideAccess(at("admin.example.test"), bearer(weak.token))).toMatchObject({ kind: "deny", reason: "token_assurance" });
				const enrolled = await signUpWith2FA(t);
				const strong = await tokenFor(await verified(enrolled), ["admin.example.test"]);
				// Made by whoever enrolled an authenticator with the password alone: not until the owner's mailbox confirms it.
				expect(await t.deadbolt.decideAccess(at("admin.example.test"), bearer(strong.token))).toMatchObject({ kind: "deny", reason: "token_unconfirmed_second_factor" });
				await confirmSecondFactorByMail(t, enrolled);
				const allowed = await t.deadbolt.decideAccess(at("admin.example.test"), bearer(strong.token));
				expect(allowed).toMatchObject({ kind: "allow", identity: { aal: "aal2", amr: ["pat"], sessionId: null } });
			});

			it("a rule with maxSecondFactorAgeSeconds denies every token token_assurance, aal2 ones too, even just made", async () => {
				const strong = await tokenFor(await verified(await signUpWith2FA(t)), ["stepup.example.test"]);
				expect(await t.deadbolt.decideAccess(at("stepup.example.test"), bearer(strong.token))).toMatchObject({ kind: "deny", reason: "token_assurance" });
			});

			it("a revoked, expired or unknown token is refused like no sign-in (sign_in, refused), and the rules of who may still apply", async () => {
				const auth = await verified(await signUp(t));
				const revoked = await tokenFor(auth);
				await t.deadbolt.revokeAccessToken(auth, revoked.view.id);
				expect(await t.deadbolt.decideAccess(at("app.example.test"), bearer(revoked.token))).toMatchObject({ kind: "sign_in", reason: "refused" });
				const expiring = await tokenFor(auth, ["app.example.test"], 1);
				t.clock.advance(DAY_MS);
				expect(await t.deadbolt.decideAccess(at("app.example.test"), bearer(expiring.token))).toMatchObject({ kind: "sign_in", reason: "refused" });
				expect(await t.deadbolt.decideAccess(at("app.example.test"), bearer("dbpat_nonsense"))).toMatchObject({ kind: "sign_in", reason: "refused" });
				// A rule naming accounts: a token of someone else is denied by the rule.
				const team = await tokenFor({ ...auth, session: (await t.deadbolt.reauthenticate(auth, { password: PASSWORD })).session }, ["team.example.test"]);
				expect(await t.deadbolt.decideAccess(at("team.example.test"), bearer(team.token))).toMatchObject({ kind: "deny", reason: "rule" });
			});

			it("bypass and deny rules decide before any token is read", async () => {
				const { token } = await tokenFor(await verified(await signUp(t)), ["app.example.test"]);
				expect(await t.deadbolt.decideAccess(at("public.example.test"), bearer(token))).toMatchObject({ kind: "allow", identity: null });
				expect(await t.deadbolt.decideAccess(at("closed.example.test"), bearer(token))).toMatchObject({ kind: "deny", reason: "rule" });
			});
		});

		/** Signs `auth`'s account in again (a new session, signed in now), for tests that let the first one age. */
		async function signUpSession(auth: AuthenticatedSession) {
			const result = await t.deadbolt.beginLogin({ email: auth.account.email, password: PASSWORD });
			if (result.kind !== "session") throw new Error("expected a session");
			// Signed in now: recently confirmed. Let that lapse too.
			t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000);
			return result.session;
		}
	});
}

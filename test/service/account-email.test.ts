/**
 * The address of an account (issue 11 item 4) and the sign-up modes, on SQLite and PostgreSQL:
 * verification at sign-up (single use, expiring, not used up by a look, resend limit), `verified`
 * mode (one outcome whether the address is taken, the same argon2id work, no account until the
 * link), `closed` mode, operator accounts verified, and the change of address (sudo mode, confirmed
 * at the new address, the old address alerted, a taken address not revealed).
 */
import { afterEach, describe, expect, it } from "vitest";
import { EmailLinkInvalid, EmailTaken, InvalidCredentials, MailLimitReached, ReauthenticationRequired, SignUpClosed } from "../../src/errors.js";
import { parseToken } from "../../src/domain/crypto/token.js";
import { testBackends, type Backend } from "../helpers/backends.js";
import { countingHasher } from "../helpers/counting-hasher.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { PASSWORD } from "../helpers/flows.js";
import type { AuthenticatedSession } from "../../src/service/sessions.js";
import { lastMailedToken, mailsTo, tokenOf } from "../helpers/mailed-links.js";

let counter = 0;
const freshEmail = (label = "mail") => `${label}${++counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;

for (const backend of await testBackends()) {
	describe(`account email on ${backend.name}`, () => {
		let t: TestDeadbolt;
		afterEach(async () => {
			await t.deadbolt.close();
		});
		const start = async (mode: "open" | "verified" | "closed" = "open", extra: Record<string, unknown> = {}, passwords?: ReturnType<typeof countingHasher>["hasher"]) => {
			t = await createTestDeadbolt({ store: await (backend as Backend).open(), overrides: { signUp: { mode }, ...extra }, ...(passwords === undefined ? {} : { passwords }) });
		};
		const openSignUp = async (email = freshEmail()) => {
			const result = await t.deadbolt.signUp({ email, password: PASSWORD });
			if (result.kind !== "account") throw new Error("expected an account");
			return { ...result, email, auth: await t.deadbolt.validateSession(result.session.token) };
		};

		describe("verification (mode open)", () => {
			it("an account starts unverified with one verification mail; the link verifies once, signed in or not, and records email.verified", async () => {
				await start();
				const { account, email } = await openSignUp();
				expect(account.emailVerifiedAt).toBeNull();
				const mails = await mailsTo(t.store, email, "email.verify");
				expect(mails).toHaveLength(1);
				expect(mails[0]?.accountId).toBe(account.id);
				const token = await lastMailedToken(t.store, email, "email.verify");
				expect(await t.deadbolt.describeEmailVerification(token)).toEqual({ email });
				expect(await t.deadbolt.describeEmailVerification(token)).toEqual({ email });
				expect((await t.store.accounts.findAccountById(account.id))?.emailVerifiedAt).toBeNull();
				const results = await Promise.allSettled(Array.from({ length: 20 }, () => t.deadbolt.verifyEmail({ token })));
				expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
				for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(EmailLinkInvalid);
				expect((await t.store.accounts.findAccountById(account.id))?.emailVerifiedAt).toBe(t.clock.now());
				const events = (await t.deadbolt.listSecurityEvents(account.id)).map((e) => e.type);
				expect(events.filter((type) => type === "email.verified")).toHaveLength(1);
			});

			it("a verification link expires after emailVerification.ttlSeconds", async () => {
				await start();
				const { account, email } = await openSignUp();
				const token = await lastMailedToken(t.store, email, "email.verify");
				t.clock.advance(t.config.emailVerification.ttlSeconds * 1000);
				expect(await t.deadbolt.describeEmailVerification(token)).toBeNull();
				await expect(t.deadbolt.verifyEmail({ token })).rejects.toBeInstanceOf(EmailLinkInvalid);
				expect((await t.store.accounts.findAccountById(account.id))?.emailVerifiedAt).toBeNull();
			});

			it("resend sends up to emailVerification.resendsPerHour mails an hour (the first included), then MailLimitReached", async () => {
				await start("open", { emailVerification: { ttlSeconds: 86_400, resendsPerHour: 3 } });
				const { auth, email } = await openSignUp();
				expect(await t.deadbolt.resendVerificationMail(auth)).toBe("sent");
				expect(await t.deadbolt.resendVerificationMail(auth)).toBe("sent");
				const error = await t.deadbolt.resendVerificationMail(auth).catch((e: unknown) => e);
				expect(error).toBeInstanceOf(MailLimitReached);
				expect((error as MailLimitReached).code).toBe("ERR_MAIL_LIMIT");
				expect(await mailsTo(t.store, email, "email.verify")).toHaveLength(3);
				t.clock.advance(3_600_001);
				expect(await t.deadbolt.resendVerificationMail(auth)).toBe("sent");
				await t.deadbolt.verifyEmail({ token: await lastMailedToken(t.store, email, "email.verify") }).catch(async () => {
					// Links of the same millisecond are not ordered: any one of them verifies.
					for (const mail of await mailsTo(t.store, email, "email.verify")) await t.deadbolt.verifyEmail({ token: tokenOf(mail)! }).catch(() => {});
				});
				expect(await t.deadbolt.resendVerificationMail(auth)).toBe("already_verified");
			});

			it("operator-created accounts are verified", async () => {
				await start("closed");
				const account = await t.deadbolt.createAccountWithoutPassword(freshEmail("operator"));
				expect(account.emailVerifiedAt).toBe(t.clock.now());
			});
		});

		describe("mode verified", () => {
			it("answers alike whether the address is taken; hashes the password either way; no account until the link", async () => {
				const { hasher, counts } = countingHasher();
				await start("verified", {}, hasher);
				const taken = freshEmail("taken");
				await t.deadbolt.registerAccount({ email: taken, password: PASSWORD });
				const free = freshEmail("free");
				const hashesBefore = counts.hashes.length;
				expect(await t.deadbolt.signUp({ email: free, password: PASSWORD })).toEqual({ kind: "verification_sent" });
				expect(counts.hashes.length - hashesBefore).toBe(1);
				expect(await t.deadbolt.signUp({ email: taken, password: PASSWORD })).toEqual({ kind: "verification_sent" });
				expect(counts.hashes.length - hashesBefore).toBe(2);
				expect(await t.store.accounts.findAccountByEmail(free)).toBeNull();
				// The owner of the taken address is told; the free one gets the link.
				expect(await mailsTo(t.store, taken, "sign_up.exists")).toHaveLength(1);
				expect(await mailsTo(t.store, taken, "sign_up.verify")).toHaveLength(0);
				const token = await lastMailedToken(t.store, free, "sign_up.verify");
				const stored = await t.store.emailTokens.findEmailToken(parseToken(token)!.id);
				expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
				expect(await t.deadbolt.describeSignUp(token)).toEqual({ email: free });
				expect(await t.store.accounts.findAccountByEmail(free)).toBeNull();
				// The link, with the password chosen at sign-up, makes the account, verified, signed in, once.
				const results = await Promise.allSettled(Array.from({ length: 20 }, () => t.deadbolt.finishSignUp({ token, password: PASSWORD })));
				const won = results.filter((r) => r.status === "fulfilled");
				expect(won).toHaveLength(1);
				for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(EmailLinkInvalid);
				const { account, session } = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof t.deadbolt.finishSignUp>>>).value;
				expect(account.emailVerifiedAt).toBe(t.clock.now());
				expect((await t.deadbolt.validateSession(session!.token)).account.id).toBe(account.id);
				expect((await t.deadbolt.beginLogin({ email: free, password: PASSWORD })).kind).toBe("session");
			});

			it("pre-hijack: the owner's password on a link someone else asked for is refused, the link stays unused, no account; the asker cannot sign in", async () => {
				const ATTACKER = "the attacker's own passphrase";
				await start("verified");
				for (const order of ["attacker first", "victim first"] as const) {
					const email = freshEmail("victim");
					if (order === "victim first") await t.deadbolt.signUp({ email, password: PASSWORD });
					const victimsOwn = order === "victim first" ? await lastMailedToken(t.store, email, "sign_up.verify") : null;
					t.clock.advance(1);
					await t.deadbolt.signUp({ email, password: ATTACKER });
					const attackers = (await mailsTo(t.store, email, "sign_up.verify")).find((d) => d.createdAt === t.clock.now())!;
					const token = tokenOf(attackers)!;
					// The victim opens the attacker's mail and types their own password.
					const refused = await t.deadbolt.finishSignUp({ token, password: PASSWORD }).catch((e: unknown) => e);
					expect(refused).toBeInstanceOf(InvalidCredentials);
					expect((refused as InvalidCredentials).message).toContain("not the password this sign-up was started with");
					const stored = await t.store.emailTokens.findEmailToken(parseToken(token)!.id);
					expect(stored?.consumedAt).toBeNull();
					expect(stored?.attempts).toBe(1);
					expect(await t.store.accounts.findAccountByEmail(email)).toBeNull();
					await expect(t.deadbolt.beginLogin({ email, password: ATTACKER })).rejects.toBeInstanceOf(InvalidCredentials);
					// The victim's older link was ended by the newer request.
					if (victimsOwn !== null) await expect(t.deadbolt.finishSignUp({ token: victimsOwn, password: PASSWORD })).rejects.toBeInstanceOf(EmailLinkInvalid);
					// Signing up again ends the attacker's link; the victim's new link makes the victim's account.
					t.clock.advance(1);
					await t.deadbolt.signUp({ email, password: PASSWORD });
					const own = (await mailsTo(t.store, email, "sign_up.verify")).find((d) => d.createdAt === t.clock.now())!;
					await expect(t.deadbolt.finishSignUp({ token, password: ATTACKER })).rejects.toBeInstanceOf(EmailLinkInvalid);
					await t.deadbolt.finishSignUp({ token: tokenOf(own)!, password: PASSWORD });
					await expect(t.deadbolt.beginLogin({ email, password: ATTACKER })).rejects.toBeInstanceOf(InvalidCredentials);
					expect((await t.deadbolt.beginLogin({ email, password: PASSWORD })).kind).toBe("session");
				}
			});

			it("a link allows loginChallenge.maxAttempts passwords, counted before the check; then it is unusable even with the right one", async () => {
				const { hasher, counts } = countingHasher();
				await start("verified", {}, hasher);
				const max = t.config.loginChallenge.maxAttempts;
				const email = freshEmail("guess");
				await t.deadbolt.signUp({ email, password: PASSWORD });
				const token = await lastMailedToken(t.store, email, "sign_up.verify");
				for (let i = 1; i < max; i++) await expect(t.deadbolt.finishSignUp({ token, password: `wrong ${i}` })).rejects.toBeInstanceOf(InvalidCredentials);
				const last = await t.deadbolt.finishSignUp({ token, password: "wrong again" }).catch((e: unknown) => e);
				expect(last).toBeInstanceOf(EmailLinkInvalid);
				expect((last as EmailLinkInvalid).message).toContain("wrong too many times");
				const verificationsBefore = counts.verifications;
				await expect(t.deadbolt.finishSignUp({ token, password: PASSWORD })).rejects.toBeInstanceOf(EmailLinkInvalid);
				expect(counts.verifications).toBe(verificationsBefore);
				expect(await t.store.accounts.findAccountByEmail(email)).toBeNull();
				expect(await t.deadbolt.describeSignUp(token)).toBeNull();
				// Parallel guesses cannot exceed the budget: at most maxAttempts argon2id checks.
				t.clock.advance(1);
				await t.deadbolt.signUp({ email, password: PASSWORD });
				const fresh = (await mailsTo(t.store, email, "sign_up.verify")).find((d) => d.createdAt === t.clock.now())!;
				const before = counts.verifications;
				const guesses = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => t.deadbolt.finishSignUp({ token: tokenOf(fresh)!, password: `guess ${i}` })));
				expect(guesses.every((r) => r.status === "rejected")).toBe(true);
				expect(counts.verifications - before).toBe(max);
				expect((await t.store.emailTokens.findEmailToken(parseToken(tokenOf(fresh)!)!.id))?.attempts).toBe(max);
				await expect(t.deadbolt.finishSignUp({ token: tokenOf(fresh)!, password: PASSWORD })).rejects.toBeInstanceOf(EmailLinkInvalid);
				expect(await t.store.accounts.findAccountByEmail(email)).toBeNull();
			});

			it("a sign-up link of an address that got an account meanwhile is refused with EmailTaken", async () => {
				await start("verified");
				const email = freshEmail("taken-since");
				await t.deadbolt.signUp({ email, password: PASSWORD });
				const token = await lastMailedToken(t.store, email, "sign_up.verify");
				await t.deadbolt.registerAccount({ email, password: PASSWORD });
				await expect(t.deadbolt.finishSignUp({ token, password: PASSWORD })).rejects.toBeInstanceOf(EmailTaken);
			});
		});

		it("mode closed refuses sign-up with SignUpClosed, whatever the address", async () => {
			await start("closed");
			for (const email of [freshEmail("closed"), "not an email"]) await expect(t.deadbolt.signUp({ email, password: PASSWORD })).rejects.toBeInstanceOf(SignUpClosed);
		});

		describe("change of address", () => {
			/** Asks for the change; an account without a second factor confirmed by mail approves it from its current address first. */
			async function requestChange(auth: AuthenticatedSession, newEmail: string): Promise<void> {
				if ((await t.deadbolt.requestEmailChange(auth, { newEmail })) === "approval_sent") {
					await t.deadbolt.approveEmailChange({ token: await lastMailedToken(t.store, auth.account.email, "email.change_approve") });
				}
			}

			it("without a second factor confirmed by mail, the current address approves first (a stolen password cannot move the account to another mailbox); with one, the new address gets its link at once", async () => {
				await start();
				const { auth: unverified, email, account, session } = await openSignUp();
				// An unverified address proves nothing about the owner (it may be mistyped): no approval asked there.
				expect(await t.deadbolt.requestEmailChange(unverified, { newEmail: freshEmail("typo-fix") })).toBe("confirmation_sent");
				expect(await mailsTo(t.store, email, "email.change_approve")).toEqual([]);
				await t.deadbolt.verifyEmail({ token: await lastMailedToken(t.store, email, "email.verify") });
				const auth = await t.deadbolt.validateSession(session.token);
				t.clock.advance(1);
				const thief = freshEmail("thief");
				expect(await t.deadbolt.requestEmailChange(auth, { newEmail: thief })).toBe("approval_sent");
				expect(await mailsTo(t.store, thief, "email.change_confirm")).toEqual([]);
				const approval = await lastMailedToken(t.store, email, "email.change_approve");
				// The link names the requested address to the owner, uses nothing when looked at, and cannot confirm the change itself.
				expect(await t.deadbolt.describeEmailChangeApproval(approval)).toEqual({ newEmail: thief });
				await expect(t.deadbolt.confirmEmailChange({ token: approval })).rejects.toBeInstanceOf(EmailLinkInvalid);
				expect((await t.store.accounts.findAccountById(account.id))?.email).toBe(email);
				// Approved (of 10 parallel uses, one): only then does the new address get its link.
				const approvals = await Promise.allSettled(Array.from({ length: 10 }, () => t.deadbolt.approveEmailChange({ token: approval })));
				expect(approvals.filter((r) => r.status === "fulfilled")).toHaveLength(1);
				expect(await mailsTo(t.store, thief, "email.change_confirm")).toHaveLength(1);
				expect((await t.store.accounts.findAccountById(account.id))?.email).toBe(email);
				// With a second factor confirmed by mail, "Confirm it's you" needed the code: no approval.
				await t.store.accounts.setSecondFactorMailConfirmedAt(account.id, t.clock.now(), t.clock.now());
				const strong = await t.deadbolt.validateSession(session.token);
				t.clock.advance(1);
				expect(await t.deadbolt.requestEmailChange(strong, { newEmail: freshEmail("direct") })).toBe("confirmation_sent");
			});

			it("approval links count against emailVerification.resendsPerHour too: then MailLimitReached, and nothing more is mailed", async () => {
				await start();
				const { auth, email, session } = await openSignUp();
				await t.deadbolt.verifyEmail({ token: await lastMailedToken(t.store, email, "email.verify") });
				const verified = await t.deadbolt.validateSession(session.token);
				for (let i = 0; i < t.config.emailVerification.resendsPerHour; i++) expect(await t.deadbolt.requestEmailChange(verified, { newEmail: freshEmail(`many${i}`) })).toBe("approval_sent");
				await expect(t.deadbolt.requestEmailChange(verified, { newEmail: freshEmail("one-more") })).rejects.toBeInstanceOf(MailLimitReached);
				expect(await mailsTo(t.store, email, "email.change_approve")).toHaveLength(t.config.emailVerification.resendsPerHour);
				expect(auth.account.id).toBe(verified.account.id);
			});

			it("needs a recent confirmation (sudo mode)", async () => {
				await start();
				const { session } = await openSignUp();
				t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000 + 1);
				const stale = await t.deadbolt.validateSession(session.token);
				const newEmail = freshEmail("new");
				await expect(t.deadbolt.requestEmailChange(stale, { newEmail })).rejects.toBeInstanceOf(ReauthenticationRequired);
				expect(await mailsTo(t.store, newEmail, "email.change_confirm")).toEqual([]);
				const confirmed = await t.deadbolt.reauthenticate(stale, { password: PASSWORD });
				await requestChange({ ...stale, session: confirmed.session }, newEmail);
				expect(await mailsTo(t.store, newEmail, "email.change_confirm")).toHaveLength(1);
			});

			it("is confirmed at the new address; email.changed alerts the old (verified) address; the old address stops working", async () => {
				await start();
				const { auth, email, account } = await openSignUp();
				await t.deadbolt.verifyEmail({ token: await lastMailedToken(t.store, email, "email.verify") });
				const newEmail = freshEmail("moved");
				await requestChange(auth, newEmail.toUpperCase());
				// Nothing changes until the link is opened; looking does not use it.
				const token = await lastMailedToken(t.store, newEmail, "email.change_confirm");
				expect(await t.deadbolt.describeEmailChange(token)).toEqual({ newEmail });
				expect((await t.store.accounts.findAccountById(account.id))?.email).toBe(email);
				const results = await Promise.allSettled(Array.from({ length: 20 }, () => t.deadbolt.confirmEmailChange({ token })));
				expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
				const changed = await t.store.accounts.findAccountById(account.id);
				expect(changed?.email).toBe(newEmail);
				expect(changed?.emailVerifiedAt).not.toBeNull();
				// The alert went to the old address.
				expect(await mailsTo(t.store, email, "email_changed")).toHaveLength(1);
				expect(await mailsTo(t.store, newEmail, "email_changed")).toHaveLength(0);
				const types = (await t.deadbolt.listSecurityEvents(account.id)).map((e) => e.type);
				expect(types).toContain("email.change_requested");
				expect(types).toContain("email.changed");
				await expect(t.deadbolt.beginLogin({ email, password: PASSWORD })).rejects.toBeInstanceOf(InvalidCredentials);
				expect((await t.deadbolt.beginLogin({ email: newEmail, password: PASSWORD })).kind).toBe("session");
			});

			it("an unverified old address is told too (the only alert an unverified address gets)", async () => {
				await start();
				const { auth, email } = await openSignUp();
				const newEmail = freshEmail("moved-unverified");
				await requestChange(auth, newEmail);
				await t.deadbolt.confirmEmailChange({ token: await lastMailedToken(t.store, newEmail, "email.change_confirm") });
				expect(await mailsTo(t.store, email, "email_changed")).toHaveLength(1);
			});

			it("a taken new address gets the same outcome and no mail; taken between request and confirmation: EmailTaken, nothing changes", async () => {
				await start();
				const { auth, email, account } = await openSignUp();
				const other = freshEmail("other");
				await t.deadbolt.registerAccount({ email: other, password: PASSWORD });
				await requestChange(auth, other);
				expect(await mailsTo(t.store, other, "email.change_confirm")).toEqual([]);
				const later = freshEmail("later");
				t.clock.advance(1);
				await requestChange(auth, later);
				const token = await lastMailedToken(t.store, later, "email.change_confirm");
				await t.deadbolt.registerAccount({ email: later, password: PASSWORD });
				await expect(t.deadbolt.confirmEmailChange({ token })).rejects.toBeInstanceOf(EmailTaken);
				expect((await t.store.accounts.findAccountById(account.id))?.email).toBe(email);
				expect((await t.deadbolt.listSecurityEvents(account.id)).map((e) => e.type)).not.toContain("email.changed");
			});
		});
	});
}

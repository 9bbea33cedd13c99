/**
 * What a security event queues in its transaction (service/outbox.ts, service/new-device.ts), on
 * SQLite and PostgreSQL: a "new sign-in" alert only for a browser and system the account has not
 * signed in with (never for the first sign-in, never for a remembered device), alerts only to a
 * verified address, at most `email.alertsPerKindPerHour` alerts of a kind an hour (the activity keeps
 * every event), and one webhook message per config endpoint subscribed to the event's type.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RequestContext } from "../../src/service/deps.js";
import { testBackends, type Backend } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUpWith2FA } from "../helpers/flows.js";
import { mailsTo } from "../helpers/mailed-links.js";

const FIREFOX: RequestContext = { ipAddress: "192.0.2.1", userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" };
const SAFARI: RequestContext = { ipAddress: "192.0.2.2", userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1" };
const SECRET = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
let counter = 0;

for (const backend of await testBackends()) {
	describe(`event deliveries on ${backend.name}`, () => {
		let t: TestDeadbolt;
		afterEach(async () => {
			await t.deadbolt.close();
		});
		const start = async (extra: Record<string, unknown> = {}) => {
			t = await createTestDeadbolt({ store: await (backend as Backend).open(), overrides: extra });
		};
		const signIn = async (email: string, key: Uint8Array, context: RequestContext, remember = false) => {
			t.clock.advance(30_000);
			const challenge = await t.deadbolt.beginLogin({ email, password: PASSWORD }, context);
			if (challenge.kind !== "challenge") throw new Error("expected the code step");
			return t.deadbolt.completeLoginWithTOTP({ challengeToken: challenge.challenge.challengeToken, code: codeAt(t, key), rememberDevice: remember }, context);
		};

		it("a sign-in from a new browser and system alerts the verified owner; the same device, the first sign-in and a remembered device do not", async () => {
			await start();
			const { account, email, key } = await signUpWith2FA(t, `device${++counter}@example.com`);
			await t.store.accounts.markEmailVerified(account.id, t.clock.now());
			await signIn(email, key, FIREFOX, true);
			expect(await mailsTo(t.store, email, "new_device_sign_in"), "the first sign-in with a user agent").toHaveLength(0);
			await signIn(email, key, FIREFOX);
			expect(await mailsTo(t.store, email, "new_device_sign_in"), "the same browser and system").toHaveLength(0);
			await signIn(email, key, SAFARI);
			expect(await mailsTo(t.store, email, "new_device_sign_in"), "a new one").toHaveLength(1);
			const signIns = (await t.deadbolt.listSecurityEvents(account.id)).filter((event) => event.type === "login.succeeded");
			expect(signIns.map((event) => event.details["newDevice"])).toEqual([true, false, false]);
		});

		it("alerts go to a verified address only; at most email.alertsPerKindPerHour of a kind an hour, every event kept in the activity", async () => {
			await start({ email: { alertsPerKindPerHour: 2 } });
			const { account, email } = await signUpWith2FA(t, `alerts${++counter}@example.com`);
			const wrongCode = async () => {
				const challengeToken = await passwordStep(t, email);
				await t.deadbolt.completeLoginWithTOTP({ challengeToken, code: "000000" }).catch(() => undefined);
			};
			await wrongCode();
			expect(await mailsTo(t.store, email, "second_factor_failed"), "an unverified address gets no alert").toHaveLength(0);
			await t.store.accounts.markEmailVerified(account.id, t.clock.now());
			for (let i = 0; i < 3; i++) await wrongCode();
			expect(await mailsTo(t.store, email, "second_factor_failed"), "the limit of the kind").toHaveLength(2);
			const failures = (await t.deadbolt.listSecurityEvents(account.id)).filter((event) => event.type === "login.second_factor_failed");
			expect(failures).toHaveLength(4);
			t.clock.advance(3_600_001);
			await wrongCode();
			expect(await mailsTo(t.store, email, "second_factor_failed"), "more than an hour later").toHaveLength(3);
		});

		it("queues one webhook message per config endpoint subscribed to the event's type, with the safe facts only", async () => {
			await start({
				webhooks: {
					endpoints: [
						{ url: "https://all.example.test/hook", events: ["*"], secret: SECRET },
						{ url: "https://locks.example.test/hook", events: ["login.locked"], secret: SECRET },
						{ url: "https://sign-ins.example.test/hook", events: ["login.succeeded"], secret: SECRET },
					],
					allowedNetworks: [],
					timeoutSeconds: 10,
				},
			});
			const { account, email, key } = await signUpWith2FA(t, `hooks${++counter}@example.com`);
			await signIn(email, key, FIREFOX);
			const webhooks = (await t.store.outbox.listDeliveries({ channel: "webhook", accountId: account.id, limit: 500 })).filter((delivery) => delivery.kind === "login.succeeded");
			expect(webhooks.map((delivery) => delivery.target).sort()).toEqual(["config:0", "config:2"]);
			const payload = JSON.parse(webhooks[0]!.payload) as { type: string; data: Record<string, unknown> };
			expect(payload.type).toBe("login.succeeded");
			expect(payload.data).toMatchObject({ accountId: account.id, email, ipAddress: FIREFOX.ipAddress });
			expect(webhooks[0]!.payload).not.toMatch(/token|secret|code"/i);
		});
	});
}

/**
 * Mail delivery with real parts (issue 11 items 3 and 6): a real SMTP server process, messages
 * parsed with mailparser, on SQLite and PostgreSQL. Alert mails carry the facts and a "This wasn't
 * me" link that opens the compromised flow; link mails carry their token only in the link; the
 * `.eml` fallback writes one file per delivery; an SMTP server down, then back, gets every mail
 * once. Time moves on a fixed clock (retries), never on the wall clock.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildApp } from "../../src/app.js";
import { describeInstant } from "../../src/delivery/templates/alert-mails.js";
import { describeDevice } from "../../src/service/devices.js";
import { testBackends, type Backend } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { drain, queueLinkMail, verifiedWith2FA } from "../helpers/delivery-flows.js";
import { eventually, readMails, startSmtpSink, stopDeliveryProcesses, type SmtpSink } from "../helpers/delivery-processes.js";
import { freePort } from "../helpers/cli-process.js";
import { passwordStep } from "../helpers/flows.js";

const backends = await testBackends();
const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const BRANDING = { productName: "Acme", accentColor: "#1d4ed8", supportUrl: "https://help.example.test/", footerText: "Acme Corp, 1 Example Street" };

let work = "";
let sinkDir = "";
let sink: SmtpSink;
const opened: TestDeadbolt[] = [];

beforeAll(async () => {
	work = mkdtempSync(join(tmpdir(), "deadbolt-mail-"));
	sinkDir = join(work, "smtp");
	sink = await startSmtpSink(sinkDir);
});

afterAll(async () => {
	try {
		for (const t of opened) await t.deadbolt.close().catch(() => {});
	} finally {
		await stopDeliveryProcesses();
		rmSync(work, { recursive: true, force: true });
	}
});

/** A test deadbolt on `backend` whose clock starts now (receivers check signature times against theirs). */
async function make(backend: Backend, overrides: Record<string, unknown>): Promise<TestDeadbolt> {
	const t = await createTestDeadbolt({ store: await backend.open(), overrides: { dataDir: join(work, `data-${randomBytes(4).toString("hex")}`), ...overrides } });
	t.clock.set(Date.now());
	opened.push(t);
	return t;
}

const unique = (label: string): string => `${label}-${randomBytes(5).toString("hex")}@example.test`;
const mailsTo = async (address: string) => (await readMails(sinkDir)).filter((mail) => mail.to !== undefined && !Array.isArray(mail.to) && mail.to.value[0]?.address === address);

for (const backend of backends) {
	describe(`mail on ${backend.name}`, () => {
		test("an alert mail arrives as text and HTML, branded, with what happened, when, IP, device, codes left, and a working \"This wasn't me\" link", async () => {
			const t = await make(backend, { http: { publicUrl: "http://auth.example.test" }, email: { smtpUrl: sink.url, from: "Acme <security@example.test>" }, branding: BRANDING });
			const email = unique("alert");
			const enrolled = await verifiedWith2FA(t, email);
			const challengeToken = await passwordStep(t, email);
			const login = await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken, code: enrolled.recoveryCodes[0]! }, { ipAddress: "203.0.113.7", userAgent: CHROME });
			expect(await drain(t.deadbolt.createDispatcher())).toBeGreaterThanOrEqual(2);

			const mails = await eventually(async () => {
				const got = await mailsTo(email);
				return got.some((mail) => mail.subject?.startsWith("A recovery code was used")) ? got : undefined;
			}, "the recovery-code alert");
			expect(mails.map((mail) => mail.subject)).toContain("Two-factor authentication was turned on for your Acme account");
			const mail = mails.find((m) => m.subject === "A recovery code was used for your Acme account")!;
			expect(mail.from?.value[0]).toEqual({ address: "security@example.test", name: "Acme" });
			const deliveries = await t.store.outbox.listDeliveries({ accountId: enrolled.account.id, channel: "email", limit: 50 });
			const delivery = deliveries.find((d) => d.kind === "recovery_code_used")!;
			expect(delivery.status).toBe("delivered");
			expect(mail.messageId).toBe(`<${delivery.id}@auth.example.test>`);

			const compromised = "http://auth.example.test/dashboard/settings/security/compromised";
			for (const part of [mail.text!, mail.html as string]) {
				expect(part).toContain("Recovery codes left");
				expect(part).toContain("203.0.113.7");
				expect(part).toContain(describeDevice(CHROME).label);
				expect(part).toContain(describeInstant(t.clock.now()));
				expect(part).toContain(email);
				expect(part).toContain(compromised);
				expect(part).toContain("Acme Corp, 1 Example Street");
				expect(part).toContain("https://help.example.test/");
				// Never a code in a mail.
				expect(part).not.toContain(enrolled.recoveryCodes[0]);
			}
			expect(mail.text).toContain("Recovery codes left: 9");
			expect(mail.text).toContain(`This wasn't me: ${compromised}`);
			expect(mail.html).toContain(`href="${compromised}"`);
			expect(mail.html).toContain("#1d4ed8");
			expect(mail.html).not.toMatch(/<img|<script|src=/i);

			// The link opens the compromised flow: for the signed-in owner, the form; else the sign-in.
			const app = await buildApp(t.deadbolt);
			try {
				const path = new URL(compromised).pathname;
				const page = await app.inject({ method: "GET", url: path, headers: { cookie: `deadbolt_session=${login.session.token}` } });
				expect(page.statusCode).toBe(200);
				expect(page.body).toContain("I think my account is compromised");
				const anonymous = await app.inject({ method: "GET", url: path });
				expect([302, 303]).toContain(anonymous.statusCode);
				expect(anonymous.headers.location).toContain("/dashboard/sign-in");
			} finally {
				await app.close();
			}
		});

		test("what a client sends is escaped in the HTML part: a User-Agent with markup shows as text", async () => {
			const t = await make(backend, { http: { publicUrl: "http://auth.example.test" }, email: { smtpUrl: sink.url } });
			const email = unique("escape");
			await verifiedWith2FA(t, email);
			const challengeToken = await passwordStep(t, email);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken, code: "000000" }, { ipAddress: "198.51.100.9", userAgent: '<script>alert("x")</script>' })).rejects.toThrow();
			await drain(t.deadbolt.createDispatcher());
			const mail = await eventually(async () => (await mailsTo(email)).find((m) => m.subject?.startsWith("Someone knows your")), "the wrong-code alert");
			expect(mail.text).toContain('<script>alert("x")</script>');
			expect(mail.html).not.toContain("<script>");
			expect(mail.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
			expect(mail.text).toContain("change it now");
		});

		test("link mails: each kind is sent with its token in the link only, on http.publicUrl; the token is never logged and is cleared once delivered", async () => {
			const t = await make(backend, { http: { publicUrl: "https://auth.example.test" }, email: { smtpUrl: sink.url } });
			const kinds = [
				["email.verify", "/dashboard/verify-email"],
				["sign_up.verify", "/dashboard/sign-up/finish"],
				["password.reset", "/dashboard/reset-password"],
				["email.change_confirm", "/dashboard/confirm-email"],
				["email.change_approve", "/dashboard/approve-email-change"],
				["two_factor.confirm", "/dashboard/confirm-two-factor"],
				["sign_up.exists", null],
				["password.reset_unknown", null],
			] as const;
			const sent = kinds.map(([kind, path]) => ({ kind, path, to: unique(kind.replace(/[._]/g, "-")), token: path === null ? null : `tok_${randomBytes(12).toString("hex")}` }));
			for (const mail of sent) await queueLinkMail(t, mail);
			await drain(t.deadbolt.createDispatcher());
			for (const expected of sent) {
				const [mail] = await eventually(async () => {
					const got = await mailsTo(expected.to);
					return got.length > 0 ? got : undefined;
				}, `the ${expected.kind} mail`);
				expect(mail!.text, expected.kind).toBeTruthy();
				expect(mail!.html, expected.kind).toBeTruthy();
				if (expected.token !== null) {
					const link = `https://auth.example.test${expected.path}?token=${expected.token}`;
					expect(mail!.text).toContain(link);
					expect(mail!.html).toContain(`href="${link}"`);
				} else {
					expect(mail!.text).not.toContain("token=");
				}
			}
			const logged = JSON.stringify(t.logs);
			for (const mail of sent) if (mail.token !== null) expect(logged).not.toContain(mail.token);
			const targets = new Set(sent.map((mail) => mail.to));
			for (const delivery of (await t.store.outbox.listDeliveries({ channel: "email", limit: 500 })).filter((d) => targets.has(d.target))) {
				expect(delivery.status).toBe("delivered");
				expect(delivery.sealedSecret).toBeNull();
			}
		});

		test("with no mail server, mails are .eml files (mode 0600) named <createdAt>-<deliveryId>.eml, linking to http://host:port; the start log says where, once; a redelivery rewrites its file", async () => {
			const port = await freePort();
			const t = await make(backend, { http: { host: "127.0.0.1", port } });
			const dispatcher = t.deadbolt.createDispatcher();
			const dir = join(t.config.dataDir, "mail");
			expect(t.logs.filter((line) => line["event"] === "email.transport")).toEqual([expect.objectContaining({ transport: "file", dir, msg: expect.stringContaining(`.eml files in ${dir}`) })]);
			const to = unique("eml");
			await queueLinkMail(t, { to, kind: "password.reset", token: "tok_eml" });
			await drain(dispatcher);
			const delivery = (await t.store.outbox.listDeliveries({ channel: "email", limit: 500 })).find((d) => d.target === to);
			expect(readdirSync(dir)).toEqual([`${delivery!.createdAt}-${delivery!.id}.eml`]);
			expect(statSync(join(dir, readdirSync(dir)[0]!)).mode & 0o777).toBe(0o600);
			const [mail] = await readMails(dir);
			expect(mail!.text).toContain(`http://127.0.0.1:${port}/dashboard/reset-password?token=tok_eml`);
			expect(mail!.messageId).toBe(`<${delivery!.id}@127.0.0.1>`);
			// Sent again (an operator's retry of a mail without a token): still one file for its id.
			await queueLinkMail(t, { to, kind: "sign_up.exists", token: null });
			await drain(dispatcher);
			const exists = (await t.store.outbox.listDeliveries({ channel: "email", limit: 500 })).find((d) => d.kind === "sign_up.exists" && d.target === to)!;
			expect(await t.store.outbox.retryDelivery(exists.id, t.clock.now())).toBe(true);
			await drain(dispatcher);
			expect((await t.store.outbox.findDelivery(exists.id))!.status).toBe("delivered");
			expect(readdirSync(dir).sort()).toEqual([`${delivery!.createdAt}-${delivery!.id}.eml`, `${exists.createdAt}-${exists.id}.eml`].sort());
		});

		test("an SMTP server that is down, then back: every mail arrives, none twice per delivery id", async () => {
			const port = await freePort();
			const outageDir = join(work, `outage-${backend.name}`);
			const t = await make(backend, { http: { publicUrl: "https://auth.example.test" }, email: { smtpUrl: `smtp://127.0.0.1:${port}` }, outbox: { retryMinMillis: 1_000, maxAttempts: 12 } });
			const dispatcher = t.deadbolt.createDispatcher();
			const addresses = Array.from({ length: 6 }, (_, i) => unique(`outage${i}`));
			for (const to of addresses) await queueLinkMail(t, { to, kind: "email.verify", token: `tok_${to.slice(0, 12)}` });
			// Down: two rounds of attempts fail, each one retried later.
			await drain(dispatcher);
			t.clock.advance(60_000);
			await drain(dispatcher);
			const ours = async () => (await t.store.outbox.listDeliveries({ channel: "email", limit: 500 })).filter((d) => addresses.includes(d.target));
			const failing = await ours();
			expect(failing.map((d) => [d.status, d.attempts])).toEqual(addresses.map(() => ["pending", 2]));
			expect(failing[0]!.lastError).toMatch(/ECONNREFUSED/);
			// Back (a minute later), on the same port.
			const back = await startSmtpSink(outageDir, port);
			try {
				t.clock.advance(60_000);
				await drain(dispatcher);
				t.clock.advance(3_600_000);
				await drain(dispatcher);
				const delivered = await ours();
				expect(delivered.every((d) => d.status === "delivered")).toBe(true);
				const mails = await eventually(async () => {
					const got = await readMails(outageDir);
					return got.length >= addresses.length ? got : undefined;
				}, "every mail after the outage");
				expect(mails).toHaveLength(addresses.length);
				expect(new Set(mails.map((mail) => mail.messageId)).size).toBe(addresses.length);
				expect(new Set(mails.map((mail) => mail.messageId))).toEqual(new Set(delivered.map((d) => `<${d.id}@auth.example.test>`)));
				const attempts = await t.store.outbox.listDeliveryAttempts(delivered[0]!.id);
				expect(attempts.map((a) => a.outcome)).toEqual(["failed", "failed", "delivered"]);
			} finally {
				await back.stop();
			}
		});
	});
}

describe("mail settings refused at start (ConfigInvalid)", () => {
	const refused = async (overrides: Record<string, unknown>, message: string): Promise<void> => {
		const t = await make(backends[0]!, overrides);
		expect(() => t.deadbolt.createDispatcher()).toThrow(expect.objectContaining({ code: "ERR_CONFIG_INVALID", message: expect.stringContaining(message) }));
	};

	test("no smtpUrl with an https publicUrl (transport auto): set email.smtpUrl, or email.transport \"file\" explicitly", async () => {
		await refused({ http: { publicUrl: "https://auth.example.test" } }, 'email.transport "file" explicitly');
	});

	test('transport "smtp" without smtpUrl', async () => {
		await refused({ http: { publicUrl: "https://auth.example.test" }, email: { transport: "smtp" } }, "email.smtpUrl is not set");
	});

	test("smtpUrl without http.publicUrl: links are built only from http.publicUrl", async () => {
		await refused({ email: { smtpUrl: "smtp://127.0.0.1:2525" } }, "http.publicUrl");
	});

	test('an https publicUrl with transport "file" chosen explicitly is accepted', async () => {
		const t = await make(backends[0]!, { http: { publicUrl: "https://auth.example.test" }, email: { transport: "file" } });
		expect(() => t.deadbolt.createDispatcher()).not.toThrow();
	});
});

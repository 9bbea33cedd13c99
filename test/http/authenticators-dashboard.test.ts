/**
 * Issue 14 item 3, the dashboard half: Settings > Security > Two-factor authentication lists the
 * account's authenticator apps; "Add another authenticator app" (asked first, then "Confirm it's
 * you" outside the window) names the new one beside its code; Rename is a small form; Remove is
 * asked first (naming what ends), then "Confirm it's you", its id carried through the dialogs and
 * looked up among the account's own; never the last one. Server-rendered forms over real HTTP
 * (inject), CSRF on every POST.
 */
import type { LightMyRequestResponse } from "fastify";
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { codeAt, PASSWORD, signUpWith2FA, type Enrolled } from "../helpers/flows.js";
import { BROWSER, cookieHeader, cookieJar, appPerTest, type TestApp } from "../helpers/http.js";

let t: TestApp;
appPerTest((app) => (t = app));

const TWO_FACTOR = "/dashboard/settings/security/two-factor";
const ADD = `${TWO_FACTOR}/add`;
const CONFIRM_CODE = `${TWO_FACTOR}/confirm`;
const RENAME = `${TWO_FACTOR}/authenticators/rename`;
const REMOVE = `${TWO_FACTOR}/authenticators/remove`;
const REAUTH = "/dashboard/settings/security/confirm";

type Jar = Record<string, string>;

/** A browser session of a 2FA account, made by the service (both factors just proved), with its form token. */
async function signedInBrowser(enrolled: Enrolled): Promise<Jar> {
	const jar: Jar = { deadbolt_session: enrolled.session.token };
	await get(jar, TWO_FACTOR);
	expect(jar["deadbolt_csrf"]).toBeDefined();
	return jar;
}

async function get(jar: Jar, url: string): Promise<LightMyRequestResponse> {
	const res = await t.app.inject({ method: "GET", url, headers: { cookie: cookieHeader(jar) } });
	cookieJar(res, jar);
	return res;
}

/** A form POST from the page (its CSRF token unless `form` says otherwise); the jar keeps the cookies it sets. */
async function post(jar: Jar, url: string, form: Record<string, string> = {}): Promise<LightMyRequestResponse> {
	const res = await t.app.inject({ method: "POST", url, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: jar["deadbolt_csrf"] ?? "", ...form } });
	cookieJar(res, jar);
	return res;
}

async function authenticatorsOf(enrolled: Enrolled) {
	return t.deadbolt.listAuthenticators(enrolled.account.id);
}

/** Adds an authenticator through the page (in the "Confirm it's you" window): its key and id. */
async function addThroughPage(jar: Jar, enrolled: Enrolled, name: string): Promise<{ key: Uint8Array; id: string }> {
	const scan = await post(jar, ADD, { confirmed: "yes" });
	expect(scan.statusCode, scan.body).toBe(200);
	const secret = /data-copy-value="([A-Z2-7]+)"/.exec(scan.body)![1]!;
	const key = decodeBase32(secret);
	t.clock.advance(30_000);
	const done = await post(jar, CONFIRM_CODE, { flow: "add", name, code: codeAt(t, key) });
	expect(done.statusCode, done.body).toBe(303);
	expect(done.headers.location).toBe(`${TWO_FACTOR}?done=authenticator-added`);
	return { key, id: (await authenticatorsOf(enrolled)).find((a) => a.name === name)!.id };
}

/** Moves the clock past the "Confirm it's you" window. */
function leaveSudoWindow(): void {
	t.clock.advance((t.config.session.reauthenticationTtlSeconds + 1) * 1000);
}

describe("dashboard: several authenticator apps", () => {
	it("adds another app named beside its code (asked first; the page says it was added, no new recovery codes, nobody signed out)", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		// Another device signed in before: it stays signed in.
		const other = await t.deadbolt.beginLogin({ email: enrolled.email, password: PASSWORD });
		if (other.kind !== "challenge") throw new Error("expected a challenge");
		const otherSession = await t.deadbolt.completeLoginWithTOTP({ challengeToken: other.challenge.challengeToken, code: codeAt(t, enrolled.key, 1) });

		const page = await get(jar, TWO_FACTOR);
		expect(page.body).toContain('<h3 class="card__subtitle" id="authenticator-title">Authenticator apps</h3>');
		expect(page.body).toContain('id="last-authenticator"');
		// Asked first: nothing started.
		const asked = await post(jar, ADD);
		expect(asked.statusCode).toBe(200);
		expect(asked.body).toMatch(/<dialog class="modal modal--narrow modal--confirm" id="confirm-add-authenticator"[^>]* open aria-modal="true"/);
		expect(await t.deadbolt.getPendingTOTPEnrollment(enrolled.account, (await t.deadbolt.validateSession(jar["deadbolt_session"]!)).session)).toBeNull();

		const scan = await post(jar, ADD, { confirmed: "yes" });
		expect(scan.statusCode).toBe(200);
		expect(scan.body).toContain("Add another authenticator app");
		expect(scan.body).toContain('<input type="hidden" name="flow" value="add">');
		expect(scan.body).toContain('<label class="field__label" for="authenticator-name">Name (optional)</label>');
		expect(scan.body).toContain(">Verify and add</button>");
		const key = decodeBase32(/data-copy-value="([A-Z2-7]+)"/.exec(scan.body)![1]!);
		t.clock.advance(30_000);

		// A name too long: said beside the field, the name kept; nothing written, the setup still open.
		const long = await post(jar, CONFIRM_CODE, { flow: "add", name: "T".repeat(65), code: codeAt(t, key) });
		expect(long.statusCode).toBe(400);
		expect(long.body).toContain('<p class="field__error" id="authenticator-name-error">A name is at most 64 characters, without control or invisible formatting characters.</p>');
		expect(long.body).toContain(`value="${"T".repeat(65)}"`);
		expect(await authenticatorsOf(enrolled)).toHaveLength(1);

		const done = await post(jar, CONFIRM_CODE, { flow: "add", name: "  Tablet ", code: codeAt(t, key) });
		expect(done.statusCode).toBe(303);
		expect(done.headers.location).toBe(`${TWO_FACTOR}?done=authenticator-added`);
		const after = await get(jar, done.headers.location as string);
		expect(after.body).toContain("Your new authenticator app is added.");
		expect(after.body).toContain("Your recovery codes are unchanged: no new ones were made.");
		expect((await authenticatorsOf(enrolled)).map((a) => a.name)).toEqual([null, "Tablet"]);
		expect(await t.deadbolt.countUnusedRecoveryCodes(enrolled.account.id)).toBe(10);
		// Both rows, each with Remove now; no "last one" sentence.
		expect(after.body).not.toContain('id="last-authenticator"');
		expect(after.body.match(/id="remove-authenticator-/g)).toHaveLength(2);
		// Nobody was signed out; a new sign-in takes the new app's code.
		expect((await t.deadbolt.validateSession(otherSession.token)).account.id).toBe(enrolled.account.id);
		t.clock.advance(30_000);
		const next = await t.deadbolt.beginLogin({ email: enrolled.email, password: PASSWORD });
		if (next.kind !== "challenge") throw new Error("expected a challenge");
		await t.deadbolt.completeLoginWithTOTP({ challengeToken: next.challenge.challengeToken, code: codeAt(t, key) });
	});

	it("add and remove outside the 'Confirm it's you' window: asked first, then confirm it's you (the remove's id carried through), then done", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		const tablet = await addThroughPage(jar, enrolled, "Tablet");
		const first = (await authenticatorsOf(enrolled))[0]!;
		leaveSudoWindow();

		const add = await post(jar, ADD, { confirmed: "yes" });
		expect(add.statusCode).toBe(200);
		expect(add.body).toContain('id="reauthenticate"');
		expect(add.body).toContain('<input type="hidden" name="action" value="add-authenticator">');
		expect(add.body).not.toContain("data-copy-value");

		const asked = await post(jar, REMOVE, { target: first.id });
		expect(asked.statusCode).toBe(200);
		const dialog = new RegExp(`<dialog class="modal modal--narrow modal--confirm" id="confirm-remove-authenticator-${first.id}"[^>]* open aria-modal="true"[^>]*>([\\s\\S]*?)</dialog>`).exec(asked.body);
		expect(dialog).not.toBeNull();
		expect(dialog![1]!.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ")).toContain("Remove “Authenticator app”? Its codes stop working at once.");
		expect(dialog![1]!).toMatch(/signed out[\s\S]*remembered devices are forgotten/);
		expect(dialog![1]!).toContain(`<input type="hidden" name="target" value="${first.id}">`);
		expect(asked.body.split(`id="confirm-remove-authenticator-${first.id}"`).length - 1).toBe(1);

		const reauth = await post(jar, REMOVE, { target: first.id, confirmed: "yes" });
		expect(reauth.statusCode).toBe(200);
		expect(reauth.body).toContain('id="reauthenticate"');
		expect(reauth.body).toContain('<input type="hidden" name="action" value="remove-authenticator">');
		expect(reauth.body).toContain(`<input type="hidden" name="target" value="${first.id}">`);
		expect(reauth.body).toContain("To remove the authenticator app “Authenticator app”, enter your password");
		expect(await authenticatorsOf(enrolled)).toHaveLength(2);

		// A wrong password: asked again, still carrying the id; nothing removed.
		const wrong = await post(jar, REAUTH, { action: "remove-authenticator", target: first.id, confirmed: "yes", password: "not it", code: codeAt(t, tablet.key) });
		expect(wrong.statusCode).toBe(401);
		expect(wrong.body).toContain(`<input type="hidden" name="target" value="${first.id}">`);
		expect(await authenticatorsOf(enrolled)).toHaveLength(2);

		t.clock.advance(30_000);
		const removed = await post(jar, REAUTH, { action: "remove-authenticator", target: first.id, confirmed: "yes", password: PASSWORD, code: codeAt(t, tablet.key) });
		expect(removed.statusCode, removed.body).toBe(303);
		expect(removed.headers.location).toBe(`${TWO_FACTOR}?done=authenticator-removed&n=0`);
		expect((await authenticatorsOf(enrolled)).map((a) => a.name)).toEqual(["Tablet"]);
		const page = await get(jar, removed.headers.location as string);
		expect(page.body).toContain("Removed that authenticator app.");
		expect(page.body).not.toContain("remove-authenticator-");
		expect(page.body).toContain("To stop using two-factor authentication, turn it off below.");
	});

	it("the last one: no Remove offered, and refused when posted anyway (asked, confirmed, or through 'Confirm it's you')", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		const only = (await authenticatorsOf(enrolled))[0]!;
		const page = await get(jar, TWO_FACTOR);
		expect(page.body).not.toContain("remove-authenticator");
		expect(page.body).toContain("To stop using two-factor authentication, turn it off below.");
		const attempts = [
			await post(jar, REMOVE, { target: only.id }),
			await post(jar, REMOVE, { target: only.id, confirmed: "yes" }),
			await post(jar, REAUTH, { action: "remove-authenticator", target: only.id, confirmed: "yes", password: PASSWORD, code: codeAt(t, enrolled.key, 1) }),
		];
		for (const res of attempts) {
			expect(res.statusCode).toBe(303);
			expect(res.headers.location).toBe(`${TWO_FACTOR}?done=last-authenticator`);
		}
		expect(await authenticatorsOf(enrolled)).toHaveLength(1);
		expect((await t.deadbolt.listSecurityEvents(enrolled.account.id)).some((e) => e.type === "reauthenticated")).toBe(false);
		const notice = await get(jar, `${TWO_FACTOR}?done=last-authenticator`);
		expect(notice.body).toContain("That is your only authenticator app, so it can&#39;t be removed.");
	});

	it("another account's authenticator, an unknown or crafted id: refused before anything is asked, checked or done; never reflected", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		await addThroughPage(jar, enrolled, "Tablet");
		const victim = await signUpWith2FA(t);
		const victimJar = await signedInBrowser(victim);
		await addThroughPage(victimJar, victim, "Theirs");
		const theirs = (await authenticatorsOf(victim))[0]!;
		const crafted = '"><script>alert(1)</script>';
		for (const target of [theirs.id, crafted, "", "../../admin"]) {
			for (const res of [
				await post(jar, REMOVE, { target }),
				await post(jar, REMOVE, { target, confirmed: "yes" }),
				await post(jar, REAUTH, { action: "remove-authenticator", target, confirmed: "yes", password: PASSWORD, code: codeAt(t, enrolled.key, 1) }),
			]) {
				expect(res.statusCode, target).toBe(303);
				expect(res.headers.location, target).toBe(`${TWO_FACTOR}?done=authenticator-gone`);
			}
			const renamed = await post(jar, RENAME, { authenticator: target, name: "mine now" });
			expect(renamed.statusCode).toBe(303);
			expect(renamed.headers.location).toBe(`${TWO_FACTOR}?done=authenticator-gone`);
		}
		expect((await authenticatorsOf(victim)).map((a) => a.name)).toEqual([null, "Theirs"]);
		expect(await authenticatorsOf(enrolled)).toHaveLength(2);
		expect((await t.deadbolt.listSecurityEvents(enrolled.account.id)).some((e) => e.type === "reauthenticated")).toBe(false);
	});

	it("rename: a small form; a refused name says why in its row (400, nothing written); a POST without the form token is refused", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		const id = (await authenticatorsOf(enrolled))[0]!.id;
		const page = await get(jar, TWO_FACTOR);
		expect(page.body).toContain(`<form method="post" action="${RENAME}" class="form rename__form" novalidate>`);
		expect(page.body).toContain(`<label class="field__label" for="rename-${id}">New name for “Authenticator app”</label>`);

		for (const name of ["x".repeat(65), "bad\u0007name"]) {
			const refused = await post(jar, RENAME, { authenticator: id, name });
			expect(refused.statusCode).toBe(400);
			expect(refused.body).toMatch(new RegExp(`<details class="rename" open>\\s*<summary[^>]* id="rename-authenticator-${id}"`));
			expect(refused.body).toContain(`<p class="field__error" id="rename-${id}-error">A name is at most 64 characters, without control or invisible formatting characters.</p>`);
			expect((await authenticatorsOf(enrolled))[0]!.name).toBeNull();
		}

		const noToken = await t.app.inject({ method: "POST", url: RENAME, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { authenticator: id, name: "Phone" } });
		expect(noToken.statusCode).toBe(403);
		expect((await authenticatorsOf(enrolled))[0]!.name).toBeNull();

		const renamed = await post(jar, RENAME, { authenticator: id, name: "Work phone" });
		expect(renamed.statusCode).toBe(303);
		expect(renamed.headers.location).toBe(`${TWO_FACTOR}?done=authenticator-renamed`);
		expect((await authenticatorsOf(enrolled))[0]!.name).toBe("Work phone");
		expect((await get(jar, TWO_FACTOR)).body).toContain('<p class="session__device authenticator__name">Work phone</p>');
	});

	it("at the most an account may have: no Add, a sentence why; a posted Add says why and starts nothing", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		for (const name of ["Two", "Three", "Four", "Five"]) await addThroughPage(jar, enrolled, name);
		expect(await authenticatorsOf(enrolled)).toHaveLength(5);
		const page = await get(jar, TWO_FACTOR);
		expect(page.body).not.toContain('id="add-authenticator"');
		expect(page.body).toContain('id="authenticators-full"');
		const posted = await post(jar, ADD, { confirmed: "yes" });
		expect(posted.statusCode).toBe(303);
		expect(posted.headers.location).toBe(`${TWO_FACTOR}?done=authenticators-full`);
		expect(await t.deadbolt.getPendingTOTPEnrollment(enrolled.account, (await t.deadbolt.validateSession(jar["deadbolt_session"]!)).session)).toBeNull();
	});
});

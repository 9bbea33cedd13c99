/**
 * The pages of Settings > Security: `GET /dashboard/settings/security` (the summary) and its
 * pages `.../two-factor`, `.../password`, `.../sessions`, `.../access-tokens`, `.../activity`, `.../compromised`,
 * each with the notice of the action that led back to it (`?done=<word>&n=<count>`: only a word
 * of a fixed list and a number travel; the sentences are here), and the way its lists end one
 * item ({@link registerRemoveOne}).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { NotFound } from "../../errors.js";
import type { AuthenticatedSession } from "../../service/sessions.js";
import { html, type SafeHtml } from "../html.js";
import { notice, PATHS, plural } from "../layout.js";
import { SECURITY_SECTIONS, sectionOfCard, securityPage, type SecuritySection } from "../pages/security.js";
import type { CardFlash } from "../pages/security-sections.js";
import type { DashboardContext } from "./context.js";
import { formField, queryParam, seeOther, sendPage, signedInForm, signedInPage } from "./forms.js";

/** A card's notice: its id is the card's name with `-notice`. */
function cardNotice(card: CardFlash["card"], kind: "success" | "info" | "warning", content: SafeHtml | string): CardFlash {
	return { card, content: notice(kind, content, `${card}-notice`) };
}

/** " and we signed you out on N other sessions"-style tails: empty for none. */
function otherSessions(count: number, sentence: (sessions: string) => string): string {
	return count > 0 ? sentence(plural(count, "other session")) : "";
}

/** The `n=` of a notice: up to 6 digits, else none (undefined). */
function countOf(param: string | null): number | undefined {
	return param !== null && /^\d{1,6}$/.test(param) ? Number(param) : undefined;
}

/** The notice after an action on the Security page (`?done=<word>&n=<count>`), from a fixed list. */
function flashOf(done: string | null, countParam: string | null): CardFlash | null {
	const n = countOf(countParam) ?? 0;
	switch (done) {
		case "session-revoked":
			return cardNotice("sessions", "success", "Signed out that session. That device has to sign in again.");
		case "session-gone":
			return cardNotice("sessions", "info", "That session had already ended.");
		case "others-signed-out":
			return cardNotice("sessions", "success", n === 0 ? "There were no other sessions to sign out." : `Signed out ${plural(n, "other session")}. Only this device is still signed in.`);
		case "password-changed":
			return cardNotice("password", "success", html`<strong>Your password has been changed.</strong>${otherSessions(n, (s) => ` For your security, we signed you out on ${s}.`)}`);
		case "password-set":
			return cardNotice("password", "success", html`<strong>Your password is set.</strong> You can now sign in with your email and password.`);
		case "signed-in-with-link":
			return cardNotice("password", "info", "You're signed in. Set a password for your account here, or set up two-factor authentication, which sets one as its first step.");
		case "authenticator-replaced":
			return cardNotice("two-factor", "success", html`<strong>Your new phone is set up.</strong> Codes from the old one no longer work. Your recovery codes are unchanged; remembered devices were forgotten.`);
		case "authenticator-added":
			return cardNotice("two-factor", "success", html`<strong>Your new authenticator app is added.</strong> Its codes sign you in, and so do your other apps'. Your recovery codes are unchanged: no new ones were made.`);
		case "authenticator-renamed":
			return cardNotice("two-factor", "success", "Renamed your authenticator app.");
		case "authenticator-removed":
			return cardNotice("two-factor", "success", html`<strong>Removed that authenticator app.</strong> Its codes no longer work${otherSessions(n, (s) => `; we signed you out on ${s}`)}, and remembered devices were forgotten. You can delete its entry from the app.`);
		case "authenticator-gone":
			return cardNotice("two-factor", "info", "That authenticator app is not one of yours any more (it was removed).");
		case "last-authenticator":
			return cardNotice("two-factor", "warning", "That is your only authenticator app, so it can't be removed. To stop using two-factor authentication, turn it off below.");
		case "authenticators-full":
			return cardNotice("two-factor", "warning", "You have as many authenticator apps as an account can have. Remove one to add another.");
		case "add-expired":
			return cardNotice("two-factor", "warning", "Adding an authenticator app timed out before you entered a code. Your other apps still work; start again when you're ready.");
		case "already-on":
			return cardNotice("two-factor", "info", html`<strong>Two-factor authentication is already on.</strong> This setup was finished before (a reload sends its form again). Your recovery codes were shown only once: if you did not save them, <a href="${PATHS.securityTwoFactor}#recovery-codes-title">create a new set</a>.`);
		case "replace-expired":
			return cardNotice("two-factor", "warning", "Moving to a new phone timed out before you entered a code. Your old phone still works; start again when you're ready.");
		case "device-forgotten":
			return cardNotice("devices", "success", "Forgot that device. Its next sign-in asks for a code again.");
		case "device-gone":
			return cardNotice("devices", "info", "That device had already been forgotten.");
		case "devices-forgotten":
			return cardNotice("devices", "success", n === 0 ? "There were no remembered devices to forget." : `Forgot ${plural(n, "remembered device")}. Each asks for a code at its next sign-in.`);
		case "app-disconnected":
			return cardNotice("apps", "success", "Disconnected that app. It was signed out, its tokens stopped working, and its next sign-in asks you again.");
		case "app-gone":
			return cardNotice("apps", "info", "That app was not connected any more.");
		case "access-token-revoked":
			return cardNotice("access-tokens", "success", "Revoked that token. The app or script using it is refused from its next request.");
		case "access-token-gone":
			return cardNotice("access-tokens", "info", "That token had already been revoked.");
		case "access-tokens-revoked":
			return cardNotice("access-tokens", "success", n === 0 ? "There were no access tokens to revoke." : `Revoked ${plural(n, "access token")}. Apps and scripts using them are refused from their next request.`);
		case "two-factor-on":
			return cardNotice("two-factor", "success", "Two-factor authentication is on. Keep your recovery codes safe.");
		case "two-factor-off":
			return cardNotice(
				"two-factor",
				"success",
				html`<strong>Two-factor authentication is off.</strong> Your authenticator app's codes and your recovery codes no longer work${otherSessions(n, (s) => `, and we signed you out on ${s}`)}. You can delete its entry from your authenticator app.`,
			);
		default:
			return null;
	}
}

/**
 * The page after an action, with its notice: `done` is a word of {@link flashOf}'s list, shown on
 * the page of `card`.
 */
export function doneURL(card: CardFlash["card"], done: string, count?: number): string {
	return `${SECURITY_SECTIONS[sectionOfCard(card)].path}?done=${done}${count === undefined ? "" : `&n=${count}`}`;
}

/** The URL of a card (its page, and the card's fragment when the page has several). */
export function cardURL(card: CardFlash["card"]): string {
	return card === "devices" || card === "apps" ? `${PATHS.securitySessions}#${card}` : SECURITY_SECTIONS[sectionOfCard(card)].path;
}

/** Which list a {@link registerRemoveOne} form is about. */
export interface RemoveOneList {
	/** The form field with the item's id. */
	readonly field: string;
	/** The card of the list (its fragment on the Security page). */
	readonly card: CardFlash["card"];
	/** The `?done=` word for an item that was already gone. */
	readonly gone: string;
}

/**
 * Registers a Security page form that ends one item of a list by its id (a session, a remembered
 * device): no id goes back to the card; an item already gone (`NotFound`) says so; otherwise
 * `remove` ends it and answers.
 */
export function registerRemoveOne(app: FastifyInstance, path: string, list: RemoveOneList, remove: (request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession, id: string) => Promise<FastifyReply>): void {
	app.post(
		path,
		signedInForm(async (request, reply, auth) => {
			const id = formField(request, list.field);
			if (id === "") return seeOther(reply, cardURL(list.card));
			try {
				return await remove(request, reply, auth, id);
			} catch (error) {
				if (error instanceof NotFound) return seeOther(reply, doneURL(list.card, list.gone));
				throw error;
			}
		}),
	);
}

/**
 * Registers `GET /settings/security` and its pages. A notice meant for another page (an older
 * link) is sent on to that page, so every notice shows where its action is.
 */
export function registerSecurityPageRoutes(app: FastifyInstance, d: DashboardContext): void {
	for (const section of Object.keys(SECURITY_SECTIONS) as SecuritySection[]) {
		const path = SECURITY_SECTIONS[section].path.slice(PATHS.home.length);
		app.get(
			path,
			signedInPage(async (request, reply, auth) => {
				const done = queryParam(request, "done");
				const count = queryParam(request, "n");
				const flash = flashOf(done, count);
				if (flash !== null && sectionOfCard(flash.card) !== section) {
					return reply.redirect(doneURL(flash.card, done ?? "", countOf(count)), 302);
				}
				return sendPage(reply, 200, securityPage({ ...(await d.securityState(request, reply, auth)), flash }, null, section));
			}),
		);
	}
}

/**
 * Security alerts to an account's owner (issue 11 item 6; docs/email.md, "Alerts"): what happened,
 * when, from which IP address and device, what to do, and a "This wasn't me" link into the
 * dashboard's "I think my account is compromised" flow. Built from the event's safe facts only
 * (`AlertMailFacts`): never a password, code or token.
 */
import type { AlertKind } from "../../domain/events/event-types.js";
import { describeDevice } from "../../service/devices.js";
import type { AlertMailFacts } from "../../service/outbox.js";
import { mailLink } from "../mail-links.js";
import type { MailContent } from "./layout.js";

/** What an alert mail is built from. */
export interface AlertMailInput {
	readonly kind: AlertKind;
	readonly facts: AlertMailFacts;
	/** The address the mail goes to (the account's). */
	readonly to: string;
	readonly origin: string;
	readonly productName: string;
}


/** What each change of two-factor authentication is called in its alert, and what it means for codes. */
const TWO_FACTOR_CHANGES: Readonly<Partial<Record<string, { readonly what: string; readonly after: string }>>> = Object.freeze({
	"totp.enabled": { what: "Two-factor authentication was turned on", after: " Codes from the previous app no longer work." },
	"totp.disabled": { what: "Two-factor authentication was turned off", after: " Signing in now needs only your password." },
	"totp.replaced": { what: "Two-factor authentication was moved to a new authenticator app", after: " Codes from the previous app no longer work." },
	"totp.authenticator_added": { what: "An authenticator app was added", after: " Codes from it now sign in, beside your other authenticators." },
	"totp.authenticator_removed": { what: "An authenticator app was removed", after: " Codes from it no longer work." },
});

/** An instant for people: `Thursday 1 January 2026, 00:00 UTC`. */
export function describeInstant(at: number): string {
	const text = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(at));
	return `${text.replace(" at ", ", ")} UTC`;
}

function numberFact(facts: AlertMailFacts, key: string): number | null {
	const value = facts.details[key];
	return typeof value === "number" ? value : null;
}

/** What happened, in a subject, a heading, paragraphs and what to do. */
interface Story {
	readonly subject: string;
	readonly heading: string;
	readonly happened: string;
	readonly advice: string;
	readonly extra?: readonly (readonly [string, string])[];
}

function story(input: AlertMailInput): Story {
	const { facts, productName } = input;
	const changePassword = "If it was not you, someone else may be in your account: use the link below to secure it (new password, everyone else signed out).";
	switch (input.kind) {
		case "new_device_sign_in":
			return {
				subject: `New sign-in to your ${productName} account`,
				heading: "New sign-in from a new device",
				happened: `Your ${productName} account was signed in to from a browser or device it had not been used from before.`,
				advice: `If it was you, there is nothing to do. ${changePassword}`,
			};
		case "second_factor_failed":
			if (facts.details["during"] === "password_reset") {
				return {
					subject: `Someone opened a password reset link for your ${productName} account`,
					heading: "Reset link opened, wrong code",
					happened: `Someone opened a "forgot password" link mailed to you for your ${productName} account, then gave a wrong two-factor code. Nothing was changed: the password stays as it was.`,
					advice: "If it was not you, someone can read your email: secure your mailbox (its password and two-factor authentication) first.",
				};
			}
			return {
				subject: `Someone knows your ${productName} password`,
				heading: "Right password, wrong code",
				happened: `Someone signed in to your ${productName} account with the right password, then gave a wrong two-factor code. Your account stayed closed to them.`,
				advice: "If it was not you, someone knows your password: change it now, here or wherever else you use it.",
			};
		case "account_locked": {
			const minutes = numberFact(facts, "minutes");
			const untilReset = facts.details["untilReset"] === true;
			const factor = facts.details["factor"] === "second_factor" ? "two-factor codes" : "passwords";
			return {
				subject: `Your ${productName} account was locked`,
				heading: "Too many failed attempts",
				happened: `After too many wrong ${factor}, signing in to your ${productName} account was locked ${untilReset ? "until an administrator unlocks it" : minutes === null ? "for a while" : `for ${minutes} minute${minutes === 1 ? "" : "s"}`}.`,
				advice: "If it was not you, someone is trying to get into your account. Choose a new password once you can sign in again.",
			};
		}
		case "password_changed": {
			const verb = facts.type === "password.reset" ? "reset through a mailed link" : facts.type === "password.set" ? "set" : "changed";
			const others = numberFact(facts, "otherSessionsRevoked");
			return {
				subject: `Your ${productName} password was ${facts.type === "password.reset" ? "reset" : "changed"}`,
				heading: `Your password was ${verb}`,
				happened: `The password of your ${productName} account was ${verb}.${others === null || others === 0 ? "" : ` ${others} other session${others === 1 ? " was" : "s were"} signed out.`}`,
				advice: `If it was you, there is nothing to do. ${changePassword}`,
			};
		}
		case "two_factor_changed": {
			const { what, after } = TWO_FACTOR_CHANGES[facts.type] ?? TWO_FACTOR_CHANGES["totp.replaced"]!;
			return {
				subject: `${what} for your ${productName} account`,
				heading: what,
				happened: `${what} for your ${productName} account.${after}`,
				advice: `If it was you, there is nothing to do. ${changePassword}`,
			};
		}
		case "two_factor_reset":
			return {
				subject: `Two-factor authentication was reset for your ${productName} account`,
				heading: "Two-factor authentication was reset by support",
				happened: `An administrator of ${productName} turned off two-factor authentication for your account, as asked when an authenticator app and its recovery codes are lost. Your authenticator app's codes and your recovery codes no longer work, every session was signed out and remembered devices were forgotten. Sign in with your password, then set up two-factor authentication again.`,
				advice: "If you did not ask for this, contact support at once, and use the link below to secure your account (new password, everyone else signed out).",
			};
		case "recovery_code_used": {
			const left = numberFact(facts, "recoveryCodesLeft");
			return {
				subject: `A recovery code was used for your ${productName} account`,
				heading: "A recovery code was used",
				happened: `Someone signed in to your ${productName} account with a recovery code instead of a code from the authenticator app. Each recovery code works once.`,
				advice: left !== null && left <= 3 ? "You have few recovery codes left: make a new set on the security page." : `If it was you, there is nothing to do. ${changePassword}`,
				extra: left === null ? [] : [["Recovery codes left", String(left)]],
			};
		}
		case "recovery_codes_regenerated":
			return {
				subject: `New recovery codes for your ${productName} account`,
				heading: "New recovery codes were made",
				happened: `A new set of recovery codes was made for your ${productName} account. The previous codes no longer work.`,
				advice: `If it was you, keep the new codes somewhere safe. ${changePassword}`,
			};
		case "access_token_created":
			return {
				subject: `A new access token for your ${productName} account`,
				heading: "A new access token was created",
				happened: `A personal access token was created for your ${productName} account. It lets a program act as you until it is revoked.`,
				advice: `If it was you, there is nothing to do. If not, revoke it (Security > Access tokens) and ${changePassword.charAt(0).toLowerCase()}${changePassword.slice(1)}`,
			};
		case "backup_restored": {
			const left = numberFact(facts, "recoveryCodesLeft");
			return {
				subject: `Make new recovery codes for your ${productName} account`,
				heading: "Your account was restored from a backup",
				happened: `${productName} was restored from a backup, and every session and remembered device of your account was signed out. Anything you changed after that backup was taken is undone: recovery codes you used or replaced since then work again, as would an earlier password or authenticator app.`,
				advice: "Sign in, make a new set of recovery codes (Security > Two-factor authentication > Generate new recovery codes) and throw the old ones away. If you changed your password or your authenticator app recently, do it again.",
				extra: left === null ? [] : [["Recovery codes that work", String(left)]],
			};
		}
		case "email_changed":
			return {
				subject: `The email address of your ${productName} account was changed`,
				heading: "Your email address was changed",
				happened: `The email address of your ${productName} account was changed${typeof facts.details["newEmail"] === "string" ? ` to ${facts.details["newEmail"]}` : ""}. Mail about the account now goes to the new address.`,
				advice: `If it was you, there is nothing to do. ${changePassword}`,
			};
	}
}

/** The content of an alert mail. */
export function alertMailContent(input: AlertMailInput): MailContent {
	const { facts, origin } = input;
	const told = story(input);
	return {
		subject: told.subject,
		heading: told.heading,
		intro: [told.happened],
		facts: [
			["Account", input.to],
			["When", describeInstant(facts.createdAt)],
			["IP address", facts.ipAddress ?? "unknown"],
			["Device", describeDevice(facts.userAgent).label],
			...(told.extra ?? []),
		],
		outro: [told.advice, `Your account's security activity lists every event: ${mailLink(origin, "activity")}`],
		alarm: { text: "This wasn't me: secure my account now (a new password, every other session and remembered device signed out).", action: { label: "This wasn't me", url: mailLink(origin, "compromised") } },
	};
}

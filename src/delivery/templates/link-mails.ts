/**
 * The mails that carry a single-use link (docs/email.md, "Link mails"): verify an address, finish a
 * sign-up, reset a password, confirm a new address; and the two that answer a request without a
 * link (someone signed up with an address that has an account; a reset was asked for an address
 * without one). The token is opened by the dispatcher and appears only in the link.
 */
import { describeDuration } from "../../platform/duration.js";
import type { LinkMailKind } from "../../service/outbox.js";
import { mailLink } from "../mail-links.js";
import type { MailContent } from "./layout.js";

/** What a link mail is built from. */
export interface LinkMailInput {
	readonly kind: LinkMailKind;
	/** The link's token; null for the kinds without a link. */
	readonly token: string | null;
	readonly origin: string;
	readonly productName: string;
	/** How long the link stays usable, in seconds, as its token was issued (`LinkMailFacts.ttlSeconds`); null for a mail without a link. */
	readonly ttlSeconds: number | null;
}

/**
 * The content of a link mail.
 * @throws Error when the kind needs a token (`LINK_MAIL_KINDS_WITH_TOKEN`) and none is given, or no lifetime
 */
export function linkMailContent(input: LinkMailInput): MailContent {
	const { origin, productName } = input;
	const token = (): string => {
		if (input.token === null) throw new Error(`a ${input.kind} mail needs its link token, and the delivery has none`);
		return input.token;
	};
	const ttlSeconds = input.ttlSeconds;
	const valid = ttlSeconds === null ? "The link works once." : `The link works once and for ${describeDuration(ttlSeconds)}.`;
	switch (input.kind) {
		case "email.verify":
			return {
				subject: `Confirm your email address for ${productName}`,
				heading: "Confirm your email address",
				intro: [`Confirm that this address belongs to your ${productName} account, so that we can tell you about sign-ins and changes to its security.`],
				action: { label: "Confirm my address", url: mailLink(origin, "verifyEmail", token()) },
				outro: [valid, "If you did not create an account, you can ignore this mail."],
			};
		case "sign_up.verify":
			return {
				subject: `Finish signing up for ${productName}`,
				heading: "Finish signing up",
				intro: [`Someone, probably you, asked to create a ${productName} account with this address. Open the link to create it: you'll be asked for the password you chose when you signed up.`],
				action: { label: "Create my account", url: mailLink(origin, "finishSignUp", token()) },
				outro: [valid, "If it was not you, ignore this mail: no account is created without it. If you did not choose a password, someone else asked: do not use this link, sign up again yourself."],
			};
		case "sign_up.exists":
			return {
				subject: `Someone tried to sign up for ${productName} with your address`,
				heading: "You already have an account",
				intro: [`Someone, probably you, tried to create a ${productName} account with this address, but it already has one. No new account was created.`],
				action: { label: "Sign in", url: mailLink(origin, "signIn") },
				outro: [`Forgot your password? Reset it here: ${mailLink(origin, "forgotPassword")}`, "If it was not you, you can ignore this mail: nothing changed."],
			};
		case "password.reset":
			return {
				subject: `Reset your ${productName} password`,
				heading: "Reset your password",
				intro: [`Someone, probably you, asked to reset the password of your ${productName} account.`],
				action: { label: "Choose a new password", url: mailLink(origin, "resetPassword", token()) },
				outro: [
					valid,
					"If your account has two-factor authentication, you will be asked for a code from your authenticator app (or a recovery code) before anything changes. Setting a new password signs you out everywhere.",
					"If you did not ask for this, ignore this mail: your password stays as it is.",
				],
			};
		case "password.reset_unknown":
			return {
				subject: `Password reset for ${productName}`,
				heading: "No account with this address",
				intro: [`Someone asked to reset the password of a ${productName} account with this address, but there is no account with it. Nothing was changed.`],
				outro: [`If it was you, you may have signed up with another address; try that one at ${mailLink(origin, "forgotPassword")}.`, "If it was not you, you can ignore this mail."],
			};
		case "email.change_confirm":
			return {
				subject: `Confirm your new email address for ${productName}`,
				heading: "Confirm your new email address",
				intro: [`Someone, probably you, asked to use this address for a ${productName} account. The change happens when you open the link.`],
				action: { label: "Use this address", url: mailLink(origin, "confirmEmailChange", token()) },
				outro: [valid, "If it was not you, ignore this mail: the account keeps its address."],
			};
		case "email.change_approve":
			return {
				subject: `Approve a new email address for your ${productName} account`,
				heading: "Approve the change of your email address",
				intro: [`Someone signed in to your ${productName} account with your password and asked to use another email address for it. Nothing changes unless you approve it here; then the new address gets a link to confirm it.`],
				action: { label: "Approve the change", url: mailLink(origin, "approveEmailChange", token()) },
				outro: [valid, "If it was not you, do not approve: someone knows your password. Sign in and change it; if you can no longer sign in, ask your administrator."],
			};
		case "two_factor.setup_required":
			return {
				subject: `Set up two-factor authentication to sign in to ${productName}`,
				heading: "Set up two-factor authentication",
				intro: [
					`Someone, probably you, signed in to your ${productName} account with your password. Your administrator requires two-factor authentication, and the time to set it up has passed, so signing in needs it now.`,
					"Open the link to add an authenticator app on your phone; you are signed in as soon as it is set up.",
				],
				action: { label: "Set up two-factor authentication", url: mailLink(origin, "requiredTwoFactorSetup", token()) },
				outro: [
					valid,
					`If it was not you, do not open the link: someone knows your password. Choose a new one with "Forgot password?" on the sign-in page (${mailLink(origin, "forgotPassword")}): the reset link works without two-factor authentication and ends this link. Or ask your administrator for help.`,
				],
			};
		case "two_factor.confirm":
			return {
				subject: `Confirm your authenticator app for ${productName}`,
				heading: "Confirm your authenticator app",
				intro: [
					`Someone signed in to your ${productName} account with a code from an authenticator app and asked to use it for apps that need two-factor authentication. Open the link in the browser where you did that, still signed in.`,
				],
				action: { label: "Confirm my authenticator", url: mailLink(origin, "confirmTwoFactor", token()) },
				outro: [
					valid,
					"If it was not you, do not open the link: someone knows your password and added their own authenticator app to your account. Apps that need two-factor authentication stay closed to them until this link is used. Ask your administrator to remove that authenticator and to sign your account out everywhere.",
				],
			};
	}
}

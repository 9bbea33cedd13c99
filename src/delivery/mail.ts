/**
 * Mail out (issue 11 item 3; docs/email.md, "Setup"): nodemailer over SMTP (`email.smtpUrl`,
 * `smtp://` or `smtps://`, with `email.requireTLS` and `email.tlsRejectUnauthorized`), or, with no
 * mail server, `.eml` files under `email.fileDir` (nodemailer's stream transport renders exactly
 * what SMTP would carry) so that `npm start` works out of the box and a developer can open them.
 *
 * Which one is decided once at start ({@link planMailTransport}); settings that would send links
 * nobody can trust are refused there.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { Transporter } from "nodemailer";
import type { Config } from "../config/schema.js";
import { ConfigInvalid } from "../errors.js";

/** Where mails go: an SMTP server, or `.eml` files in a directory. */
export type MailPlan = { readonly kind: "smtp"; readonly smtpUrl: string } | { readonly kind: "file"; readonly dir: string };

/**
 * Decides where mails go, or refuses the settings (issue 11, "precisions"):
 * - `transport: "smtp"` without `smtpUrl`;
 * - `smtpUrl` without `http.publicUrl` (links are built only from `http.publicUrl`, never from a request's Host);
 * - `transport: "auto"`, no `smtpUrl` and an `https` `http.publicUrl`: a production setup whose
 *   mails would silently pile up as files; choose `"file"` explicitly to want that.
 * @throws ConfigInvalid naming the keys to set
 */
export function planMailTransport(config: Config): MailPlan {
	const { email, http } = config;
	const issues: string[] = [];
	if (email.transport === "smtp" && email.smtpUrl === null) issues.push('email.transport is "smtp" but email.smtpUrl is not set: set email.smtpUrl (smtp://host:port or smtps://host:port)');
	if (email.smtpUrl !== null && http.publicUrl === null) issues.push("email.smtpUrl is set but http.publicUrl is not: links in mails are built only from http.publicUrl (never from a request's Host header); set http.publicUrl to the origin users reach deadbolt at");
	if (email.transport === "auto" && email.smtpUrl === null && http.publicUrl !== null && http.publicUrl.startsWith("https://")) {
		issues.push(`email.smtpUrl is not set and http.publicUrl is https (${http.publicUrl}): mails would only be written as .eml files; set email.smtpUrl, or email.transport "file" explicitly`);
	}
	if (issues.length > 0) throw new ConfigInvalid(issues);
	if (email.transport !== "file" && email.smtpUrl !== null) return { kind: "smtp", smtpUrl: email.smtpUrl };
	const dir = email.fileDir === null ? join(config.dataDir, "mail") : isAbsolute(email.fileDir) ? email.fileDir : resolve(config.dataDir, email.fileDir);
	return { kind: "file", dir };
}

/** One mail, rendered. */
export interface OutgoingMail {
	/** The delivery id: the Message-ID's local part, and the `.eml` file's name. */
	readonly deliveryId: string;
	/** When the delivery was created, epoch milliseconds (the `.eml` file's name). */
	readonly createdAt: number;
	readonly to: string;
	readonly subject: string;
	readonly text: string;
	readonly html: string;
}

/** Sends mails one at a time (each call is one attempt). */
export interface Mailer {
	/**
	 * Sends one mail.
	 * @returns the answer in a few words (`"250 2.0.0 OK"`, `"written"`), for the delivery log
	 * @throws Error when the server refuses or cannot be reached (the attempt failed)
	 */
	send(mail: OutgoingMail): Promise<string>;
	/** Closes the SMTP connections. */
	close(): void;
}

/**
 * Creates the mailer of a plan.
 * @param options.origin - the origin links are built on; its host names the Message-ID (`<deliveryId@host>`)
 * @param options.timeoutMillis - the longest one SMTP step (connect, greeting, a command) may take
 */
export function createMailer(config: Config, plan: MailPlan, options: { readonly origin: string; readonly timeoutMillis: number }): Mailer {
	const host = new URL(options.origin).hostname.replace(/^\[|\]$/g, "");
	const message = (mail: OutgoingMail) => ({
		from: config.email.from,
		// An address object, never a string nodemailer would parse (a comma or angle brackets in it
		// must not pick another recipient; the service refuses such addresses anyway).
		to: { name: "", address: mail.to },
		subject: mail.subject,
		text: mail.text,
		html: mail.html,
		messageId: `<${mail.deliveryId}@${host}>`,
		date: new Date(mail.createdAt),
		headers: { "Auto-Submitted": "auto-generated" },
	});
	// nodemailer is loaded, and the transport made, on the first mail (a start does not pay for it: issue 15).
	let transport: Transporter | null = null;
	const transportOf = async (): Promise<Transporter> => {
		if (transport !== null) return transport;
		const { createTransport } = await import("nodemailer");
		transport ??=
			plan.kind === "smtp"
				? createTransport({
						url: plan.smtpUrl,
						requireTLS: config.email.requireTLS,
						tls: { rejectUnauthorized: config.email.tlsRejectUnauthorized },
						connectionTimeout: options.timeoutMillis,
						greetingTimeout: options.timeoutMillis,
						socketTimeout: options.timeoutMillis,
					})
				: createTransport({ streamTransport: true, buffer: true, newline: "unix" });
		return transport;
	};
	const close = (): void => transport?.close();
	if (plan.kind === "smtp") {
		return {
			async send(mail) {
				const info = await (await transportOf()).sendMail(message(mail));
				return (info.response ?? "accepted").slice(0, 120);
			},
			close,
		};
	}
	return {
		async send(mail) {
			const info = await (await transportOf()).sendMail(message(mail));
			mkdirSync(plan.dir, { recursive: true, mode: 0o700 });
			// One file per delivery id: a redelivery overwrites it instead of adding a second.
			writeFileSync(join(plan.dir, `${mail.createdAt}-${mail.deliveryId}.eml`), info.message as Buffer, { mode: 0o600 });
			return "written";
		},
		close,
	};
}

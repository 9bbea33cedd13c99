/**
 * `deadbolt account <action> <account>` and `deadbolt accounts list`: support tasks on accounts,
 * through the same service calls as the admin API (`service/admin*.ts`, `via: "cli"`, with the OS
 * user recorded as `operator`). `<account>` is an email address or an account id.
 * - `unlock`: ends every lock (after 100 consecutive failed codes the second factor stays locked
 *   until an operator runs this; NIST SP 800-63B §5.2.2);
 * - `create <email>`: an account without a password, and a one-time sign-in link for it;
 * - `sign-in-link`: a new one-time sign-in link (it stands in for the password only);
 * - `groups [--set a,b]`: prints the groups; `--set` replaces them first (`--set ''` removes all);
 * - `sign-out-everywhere`, `show`, `disable [--reason]`, `enable`, `delete --reason`,
 *   `reset-2fa --reason`;
 * - `accounts list`: search, filters and paging.
 * docs/cli.md is the reference.
 */
import { Command, Option } from "commander";
import type { Config } from "../../config/schema.js";
import { publicOrigin } from "../../config/public-origin.js";
import { createDeadbolt, type Deadbolt } from "../../deadbolt.js";
import { signInLinkURL } from "../../http/public-url.js";
import { formatTable } from "../table.js";
import { action, countOf, loadCliConfig, osOperator, printJSON, requireDatabase, STDIO, UsageError, withCommonOptions, type CommonOptions } from "../program.js";

/** The group names of a `--set` list: split at commas, blanks dropped (`""` is the empty list). */
export function parseGroupList(list: string): string[] {
	return list
		.split(",")
		.map((name) => name.trim())
		.filter((name) => name !== "");
}

type AccountDetails = Awaited<ReturnType<Deadbolt["showAccount"]>>;
type AccountSummary = AccountDetails["account"];

/** What an operator typed for an account: an address when it holds an `@`, else an account id. */
export function accountRefOf(typed: string): { readonly email: string } | { readonly accountId: string } {
	return typed.includes("@") ? { email: typed } : { accountId: typed };
}

/**
 * Runs `work` with a deadbolt over `config`, closed afterwards; refuses first (exit 78) when there
 * is no database where the configuration points, rather than make an empty one.
 * @param command - the command as typed (`account unlock`), for the refusal's message
 */
async function withDeadbolt<T>(config: Config, command: string, work: (deadbolt: Deadbolt) => Promise<T>): Promise<T> {
	requireDatabase(config, command);
	const deadbolt = await createDeadbolt(config);
	try {
		return await work(deadbolt);
	} finally {
		await deadbolt.close();
	}
}

/** The CLI as the actor of an operator action. */
function cliActor() {
	return { via: "cli" as const, operator: osOperator() };
}

function printLink(config: Config, link: { token: string; expiresAt: number }): void {
	const minutes = Math.round(config.signInLink.ttlSeconds / 60);
	STDIO.out(`sign-in link (works once, for ${minutes} minutes, until ${new Date(link.expiresAt).toISOString()}):`);
	STDIO.out(signInLinkURL(publicOrigin(config), link.token));
}

const iso = (at: number | null): string | null => (at === null ? null : new Date(at).toISOString());

/** An account summary with ISO-8601 instants, as `--json` prints it. */
export function summaryJSON(account: AccountSummary) {
	return { ...account, lockedUntil: iso(account.lockedUntil), disabledAt: iso(account.disabledAt), lastSignInAt: iso(account.lastSignInAt), twoFactorDeadline: iso(account.twoFactorDeadline), createdAt: iso(account.createdAt) };
}

/** The 2FA state in a word or three: on, off, or off with the policy's deadline ("off, due 2026-12-21", "OVERDUE since ..."). */
function twoFactorState(account: AccountSummary): string {
	if (account.twoFactorEnabled) return "on";
	if (account.twoFactorDeadline === null) return "off";
	const day = iso(account.twoFactorDeadline)!.slice(0, 10);
	return account.twoFactorOverdue ? `OVERDUE since ${day}` : `off, due ${day}`;
}

function detailsJSON(details: AccountDetails) {
	return {
		account: summaryJSON(details.account),
		sessions: details.sessions.map((s) => ({ ...s, createdAt: iso(s.createdAt), lastActiveAt: iso(s.lastActiveAt), expiresAt: iso(s.expiresAt) })),
		trustedDevices: details.trustedDevices.map((d) => ({ ...d, createdAt: iso(d.createdAt), lastUsedAt: iso(d.lastUsedAt), expiresAt: iso(d.expiresAt) })),
		accessTokens: details.accessTokens.map((t) => ({ ...t, createdAt: iso(t.createdAt), expiresAt: iso(t.expiresAt), lastUsedAt: iso(t.lastUsedAt) })),
		connectedApps: details.connectedApps.map((a) => ({ ...a, lastUsedAt: iso(a.lastUsedAt) })),
		activity: details.activity.map((e) => ({ ...e, createdAt: iso(e.createdAt) })),
	};
}

function stateOf(account: AccountSummary): string {
	const parts = [account.disabled ? "DISABLED" : "enabled", account.locked ? `locked until ${iso(account.lockedUntil)}` : null, `2FA ${twoFactorState(account)}`];
	return parts.filter((part) => part !== null).join(", ");
}

function detailLines(details: AccountDetails): string[] {
	const { account } = details;
	const lines = [
		`id:           ${account.id}`,
		`email:        ${account.email} (${account.emailVerified ? "verified" : "not verified"})`,
		`state:        ${stateOf(account)}${account.disabledAt === null ? "" : ` (disabled ${iso(account.disabledAt)})`}`,
		`password:     ${account.hasPassword ? "set" : "none (created without one)"}`,
		`groups:       ${account.groups.length === 0 ? "none" : account.groups.join(", ")}`,
		`created:      ${iso(account.createdAt)}`,
		`last sign-in: ${iso(account.lastSignInAt) ?? "none kept"}`,
		`sessions (${details.sessions.length}):`,
		...details.sessions.map((s) => `  ${s.id}  aal${s.aal}  since ${iso(s.createdAt)}  active ${iso(s.lastActiveAt)}  ${s.ipAddress ?? "-"}  ${s.device.label}`),
		`remembered devices (${details.trustedDevices.length}):`,
		...details.trustedDevices.map((d) => `  ${d.id}  since ${iso(d.createdAt)}  used ${iso(d.lastUsedAt)}  ${d.ipAddress ?? "-"}  ${d.device.label}`),
		`personal access tokens (${details.accessTokens.length}):`,
		...details.accessTokens.map((t) => `  ${t.id}  ${JSON.stringify(t.name)}  ${t.hosts.join(" ")}  expires ${iso(t.expiresAt)}  used ${iso(t.lastUsedAt) ?? "never"}`),
		`connected apps (${details.connectedApps.length}):`,
		...details.connectedApps.map((a) => `  ${a.clientId}  ${JSON.stringify(a.name)}  ${a.sessions} session(s)  used ${iso(a.lastUsedAt) ?? "never"}${a.consented ? "  consent remembered" : ""}`),
		`recent activity (${details.activity.length}, newest first):`,
		...details.activity.map((e) => `  ${iso(e.createdAt)}  ${e.type}  ${e.ipAddress ?? "-"}  ${Object.keys(e.details).length === 0 ? "" : JSON.stringify(e.details)}`.trimEnd()),
	];
	return lines;
}

type Json = { json?: boolean };
type WithReason = { reason?: string };

/** Registers `account ...` (one action a subcommand) on `program`. */
export function registerAccountCommands(program: Command): void {
	const account = program
		.command("account")
		.description("Support tasks on one account (<account>: an email address or an account id)")
		.addHelpText("after", "\nExit codes: 0 done, 1 refused (no such account, ...), 64 usage, 78 configuration. See docs/cli.md.");
	const sub = (name: string, description: string) => withCommonOptions(account.command(name).description(description));

	sub("unlock", "End every lock of an account (password and second factor)")
		.argument("<account>", "email address or account id")
		.action(
			action(async (target: string, options: CommonOptions) => {
				const config = loadCliConfig(options);
				const result = await withDeadbolt(config, "account unlock", (d) => d.unlockAccount(accountRefOf(target), cliActor()));
				STDIO.out(`unlocked: ${result.email}`);
			}),
		);

	sub("create", "Create an account without a password and print a one-time sign-in link for it")
		.argument("<email>", "the new account's email address")
		.action(
			action(async (email: string, options: CommonOptions) => {
				const config = loadCliConfig(options);
				await withDeadbolt(config, "account create", async (d) => {
					const created = await d.createAccountWithoutPassword(email);
					STDIO.out(`created: ${created.email} (id ${created.id}), without a password`);
					printLink(config, await d.issueSignInLink(created.email));
				});
			}),
		);

	sub("sign-in-link", "Print a new one-time sign-in link (it replaces the password step once; a second factor is still asked)")
		.argument("<account>", "email address or account id")
		.action(
			action(async (target: string, options: CommonOptions) => {
				const config = loadCliConfig(options);
				await withDeadbolt(config, "account sign-in-link", async (d) => {
					const found = await d.findAccountGroups(accountRefOf(target));
					printLink(config, await d.issueSignInLink(found.email));
				});
			}),
		);

	sub("groups", "Print the account's groups (for access rules); --set replaces them first")
		.argument("<account>", "email address or account id")
		.option("--set <groups>", "comma-separated group names; '' removes every group")
		.option("--json", "print {accountId, email, groups}")
		.action(
			action(async (target: string, options: CommonOptions & Json & { set?: string }) => {
				const config = loadCliConfig(options);
				await withDeadbolt(config, "account groups", async (d) => {
					let found = await d.findAccountGroups(accountRefOf(target));
					if (options.set !== undefined) found = await d.setAccountGroups(found.accountId, parseGroupList(options.set), cliActor());
					if (options.json === true) printJSON(STDIO, { accountId: found.accountId, email: found.email, groups: found.groups });
					else STDIO.out(`${found.email}: ${found.groups.length === 0 ? "no groups" : found.groups.join(", ")}`);
				});
			}),
		);

	sub("sign-out-everywhere", "End every session, remembered device and personal access token of an account")
		.argument("<account>", "email address or account id")
		.option("--json", "print the counts as JSON")
		.action(
			action(async (target: string, options: CommonOptions & Json) => {
				const config = loadCliConfig(options);
				const result = await withDeadbolt(config, "account sign-out-everywhere", (d) => d.signOutAccountEverywhere(accountRefOf(target), cliActor()));
				if (options.json === true) printJSON(STDIO, result);
				else STDIO.out(`signed out everywhere: ${result.email} (${countOf(result.sessionsRevoked, "session")}, ${countOf(result.trustedDevicesRevoked, "remembered device")} and ${countOf(result.accessTokensRevoked, "personal access token")} ended)`);
			}),
		);

	sub("show", "One account: its state, sessions, remembered devices, tokens (never their values), connected apps and recent activity")
		.argument("<account>", "email address or account id")
		.option("--json", "print JSON")
		.action(
			action(async (target: string, options: CommonOptions & Json) => {
				const config = loadCliConfig(options);
				const details = await withDeadbolt(config, "account show", (d) => d.showAccount(accountRefOf(target)));
				if (options.json === true) printJSON(STDIO, detailsJSON(details));
				else for (const line of detailLines(details)) STDIO.out(line);
			}),
		);

	sub("disable", "Disable an account: everything it has open ends now, and it signs in nowhere until enabled")
		.argument("<account>", "email address or account id")
		.option("--reason <text>", "why (kept in the account's activity)")
		.option("--json", "print the outcome as JSON")
		.action(
			action(async (target: string, options: CommonOptions & Json & WithReason) => {
				const config = loadCliConfig(options);
				const result = await withDeadbolt(config, "account disable", (d) => d.disableAccount(accountRefOf(target), cliActor(), options.reason));
				if (options.json === true) printJSON(STDIO, result);
				else if (!result.changed) STDIO.out(`already disabled: ${result.email}`);
				else STDIO.out(`disabled: ${result.email} (${countOf(result.sessionsRevoked, "session")}, ${countOf(result.trustedDevicesRevoked, "remembered device")} and ${countOf(result.accessTokensRevoked, "personal access token")} ended)`);
			}),
		);

	sub("enable", "Enable a disabled account again")
		.argument("<account>", "email address or account id")
		.option("--json", "print the outcome as JSON")
		.action(
			action(async (target: string, options: CommonOptions & Json) => {
				const config = loadCliConfig(options);
				const result = await withDeadbolt(config, "account enable", (d) => d.enableAccount(accountRefOf(target), cliActor()));
				if (options.json === true) printJSON(STDIO, result);
				else STDIO.out(result.changed ? `enabled: ${result.email}` : `not disabled: ${result.email} (nothing to do)`);
			}),
		);

	sub("delete", "Delete an account and everything it owns (sessions, tokens and app sign-ins end first); --reason is required")
		.argument("<account>", "email address or account id")
		.requiredOption("--reason <text>", "why (kept in the deleted-account record)")
		.option("--json", "print the outcome as JSON")
		.action(
			action(async (target: string, options: CommonOptions & Json & WithReason) => {
				if ((options.reason ?? "").trim() === "") throw new UsageError(`"account delete" needs --reason <text>`);
				const config = loadCliConfig(options);
				const result = await withDeadbolt(config, "account delete", (d) => d.deleteAccount(accountRefOf(target), cliActor(), options.reason));
				if (options.json === true) printJSON(STDIO, result);
				else STDIO.out(`deleted: ${result.email} (id ${result.accountId}; ${countOf(result.sessionsRevoked, "session")} and ${countOf(result.accessTokensRevoked, "personal access token")} ended first)`);
			}),
		);

	sub("reset-2fa", "Reset two-factor authentication for an owner who lost the authenticator and the recovery codes; --reason is required; the owner is mailed")
		.argument("<account>", "email address or account id")
		.requiredOption("--reason <text>", "why (kept in the account's activity and the webhook event)")
		.option("--json", "print the outcome as JSON")
		.action(
			action(async (target: string, options: CommonOptions & Json & WithReason) => {
				if ((options.reason ?? "").trim() === "") throw new UsageError(`"account reset-2fa" needs --reason <text>`);
				const config = loadCliConfig(options);
				const result = await withDeadbolt(config, "account reset-2fa", (d) => d.resetTwoFactor(accountRefOf(target), cliActor(), options.reason));
				if (options.json === true) printJSON(STDIO, result);
				else STDIO.out(`two-factor authentication reset: ${result.email} (authenticator and recovery codes removed; ${countOf(result.sessionsRevoked, "session")}, ${countOf(result.trustedDevicesRevoked, "remembered device")} and ${countOf(result.accessTokensRevoked, "personal access token")} ended; the owner was mailed)`);
			}),
		);
}

const yesNo = (flag: string, description: string) => new Option(`--${flag} <yes|no>`, description).choices(["yes", "no"]);

/** Registers `accounts list` on `program`. */
export function registerAccountsCommands(program: Command): void {
	const accounts = program.command("accounts").description("Every account: list, search and filter");
	withCommonOptions(accounts.command("list").description("Accounts by email, a page at a time (--cursor with the printed next cursor for the next)"))
		.option("--search <text>", "only emails containing this text")
		.option("--prefix <text>", "only emails starting with this text")
		.addOption(new Option("--two-factor <on|off>", "only accounts with 2FA on, or off").choices(["on", "off"]))
		.addOption(yesNo("locked", "only locked accounts (yes) or unlocked ones (no)"))
		.addOption(yesNo("disabled", "only disabled accounts (yes) or enabled ones (no)"))
		.option("--group <name>", "only accounts in this group")
		.option("--limit <n>", "accounts per page, 1 to 500 (default 50)")
		.option("--cursor <cursor>", "the next cursor a previous page printed")
		.option("--json", "print {accounts, nextCursor}")
		.action(
			action(async (options: CommonOptions & Json & { search?: string; prefix?: string; twoFactor?: string; locked?: string; disabled?: string; group?: string; limit?: string; cursor?: string }) => {
				if (options.limit !== undefined && !/^\d{1,3}$/.test(options.limit)) throw new UsageError("--limit must be a whole number from 1 to 500");
				const config = loadCliConfig(options);
				const page = await withDeadbolt(config, "accounts list", (d) =>
					d.listAccounts({
						search: options.search,
						prefix: options.prefix,
						twoFactor: options.twoFactor === undefined ? undefined : options.twoFactor === "on",
						locked: options.locked === undefined ? undefined : options.locked === "yes",
						disabled: options.disabled === undefined ? undefined : options.disabled === "yes",
						group: options.group,
						limit: options.limit === undefined ? undefined : Number(options.limit),
						cursor: options.cursor,
					}),
				);
				if (options.json === true) {
					printJSON(STDIO, { accounts: page.accounts.map(summaryJSON), nextCursor: page.nextCursor });
					return;
				}
				if (page.accounts.length === 0) STDIO.out("no accounts");
				else {
					const rows = page.accounts.map((a) => [a.email, a.id, twoFactorState(a), a.locked ? "locked" : "-", a.disabled ? "disabled" : "-", iso(a.lastSignInAt) ?? "-", a.groups.join(",") || "-"]);
					for (const line of formatTable(["EMAIL", "ID", "2FA", "LOCKED", "DISABLED", "LAST SIGN-IN", "GROUPS"], rows)) STDIO.out(line);
				}
				if (page.nextCursor !== null) STDIO.out(`next page: --cursor ${page.nextCursor}`);
			}),
		);
}

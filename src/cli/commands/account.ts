/**
 * `deadbolt account <action> <email>`: support tasks on one account.
 * - `unlock`: ends every lock (after 100 consecutive failed codes the second factor stays locked
 *   until an operator runs this; NIST SP 800-63B §5.2.2);
 * - `create`: creates an account without a password and prints a one-time sign-in link for it
 *   (its owner sets a password in step 1 of the two-factor setup);
 * - `sign-in-link`: prints a new one-time sign-in link for an existing account (it stands in for
 *   the password only: with 2FA on, the code is still asked);
 * - `groups`: prints the account's groups; with `--set a,b` replaces them first (`--set ''` removes
 *   every group), as `PUT /api/v1/admin/accounts/:accountId/groups` does (`service/groups.ts`);
 *   `--json` prints `{accountId, email, groups}`.
 */
import type { Config } from "../../config/schema.js";
import { createDeadbolt } from "../../deadbolt.js";
import { EmailTaken, GroupNameInvalid, InvalidRequest, NotFound } from "../../errors.js";
import { publicOrigin } from "../../config/public-origin.js";
import { signInLinkURL } from "../../http/public-url.js";

/** The actions of `deadbolt account`. */
export const ACCOUNT_ACTIONS = Object.freeze(["unlock", "create", "sign-in-link", "groups", "sign-out-everywhere"] as const);

/** One of {@link ACCOUNT_ACTIONS}. */
export type AccountAction = (typeof ACCOUNT_ACTIONS)[number];

/** Whether a word is one of {@link ACCOUNT_ACTIONS}. */
export function isAccountAction(word: string | undefined): word is AccountAction {
	return (ACCOUNT_ACTIONS as readonly string[]).includes(word ?? "");
}

/** The options of `deadbolt account` (only `groups` takes any). */
export interface AccountOptions {
	/** `groups`: the new groups, comma-separated; `""` removes every group. */
	readonly set?: string | undefined;
	/** `groups`: print JSON. */
	readonly json?: boolean | undefined;
}

/** The options each action takes (the others take none). */
export const ACCOUNT_ACTION_OPTIONS: Readonly<Record<AccountAction, readonly (keyof AccountOptions)[]>> = Object.freeze({ unlock: [], create: [], "sign-in-link": [], groups: ["set", "json"], "sign-out-everywhere": [] });

/** The group names of a `--set` list: split at commas, blanks dropped (`""` is the empty list). */
export function parseGroupList(list: string): string[] {
	return list
		.split(",")
		.map((name) => name.trim())
		.filter((name) => name !== "");
}

/** Where the command writes: one line at a time. */
export interface CommandOutput {
	readonly out: (line: string) => void;
	readonly err: (line: string) => void;
}

/**
 * Runs one account action.
 * @returns the exit code: 0 done, 1 refused (no such account, email taken or invalid, a bad group name)
 * @throws StorageUnavailable and other failures (the caller reports them)
 */
export async function runAccountCommand(config: Config, action: AccountAction, email: string, output: CommandOutput, options: AccountOptions = {}): Promise<number> {
	const deadbolt = await createDeadbolt(config);
	try {
		switch (action) {
			case "unlock":
				await deadbolt.unlockAccount({ email }, { via: "cli" });
				output.out(`unlocked: ${email}`);
				return 0;
			case "create": {
				const account = await deadbolt.createAccountWithoutPassword(email);
				output.out(`created: ${account.email} (id ${account.id}), without a password`);
				const link = await deadbolt.issueSignInLink(account.email);
				printLink(config, link, output);
				return 0;
			}
			case "sign-in-link":
				printLink(config, await deadbolt.issueSignInLink(email), output);
				return 0;
			case "sign-out-everywhere": {
				const result = await deadbolt.signOutAccountEverywhere({ email }, { via: "cli" });
				output.out(`signed out everywhere: ${result.email} (${countOf(result.sessionsRevoked, "session")}, ${countOf(result.trustedDevicesRevoked, "remembered device")} and ${countOf(result.accessTokensRevoked, "personal access token")} ended)`);
				return 0;
			}
			case "groups": {
				let account = await deadbolt.findAccountGroups(email);
				if (options.set !== undefined) account = await deadbolt.setAccountGroups(account.accountId, parseGroupList(options.set), { via: "cli" });
				if (options.json === true) output.out(JSON.stringify({ accountId: account.accountId, email: account.email, groups: account.groups }, null, 2));
				else output.out(`${account.email}: ${account.groups.length === 0 ? "no groups" : account.groups.join(", ")}`);
				return 0;
			}
		}
	} catch (error) {
		if (error instanceof NotFound || error instanceof EmailTaken || error instanceof InvalidRequest || error instanceof GroupNameInvalid) {
			output.err(`deadbolt: ${error.message}`);
			return 1;
		}
		throw error;
	} finally {
		await deadbolt.close();
	}
}

function printLink(config: Config, link: { token: string; expiresAt: number }, output: CommandOutput): void {
	const minutes = Math.round(config.signInLink.ttlSeconds / 60);
	output.out(`sign-in link (works once, for ${minutes} minutes, until ${new Date(link.expiresAt).toISOString()}):`);
	output.out(signInLinkURL(publicOrigin(config), link.token));
}

/** `1 session`, `2 sessions`: a count and its noun, plural unless it is one. */
function countOf(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

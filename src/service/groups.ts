/**
 * Account groups: who belongs to what, for access rules' `groups`, the `Remote-Groups` header,
 * assertions and introspection (issue 12). Operators set them (the admin API, `deadbolt account
 * groups`); their owner sees them (the dashboard, `GET /api/v1/session`) and cannot change them.
 * Names follow `domain/access/group-name.ts`; an account's list is stored normalized, each name
 * once, sorted. Every change is one transaction with its `account.groups_changed` event (and so its
 * webhook messages). Forward-auth reads the account at every request, so a change counts from the
 * account's next request on, on every instance.
 */
import { GroupNameInvalid, NotFound } from "../errors.js";
import { GROUPS_PER_ACCOUNT_MAX, normalizeGroupNames } from "../domain/access/group-name.js";
import { findTargetAccount, type AccountRef } from "./admin.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";

/** Which way in changed the groups: recorded in the event's `via`. */
export type GroupsChangedVia = "admin_api" | "cli";

/** Who changes an account's groups: the way in, and the request (none for the CLI). */
export interface GroupsActor {
	readonly via: GroupsChangedVia;
	/** The OS user who ran the CLI (recorded as `operator`); absent or null through the admin API. */
	readonly operator?: string | null;
	/** The admin API's request (IP address, user agent) for the activity; default none. */
	readonly context?: RequestContext;
}

/** An account and its groups (names sorted). */
export interface AccountGroups {
	readonly accountId: string;
	readonly email: string;
	readonly groups: readonly string[];
}

/** Whether two sorted lists hold the same names. */
function sameGroups(a: readonly string[], b: readonly string[]): boolean {
	return a.length === b.length && a.every((name, index) => name === b[index]);
}

/**
 * Replaces the account's groups. Names are normalized (trimmed, ASCII lower case), each kept once
 * and sorted; an empty list removes every group. Setting the groups the account already has
 * changes and records nothing. A change is recorded as `account.groups_changed` with `before`,
 * `after` and `via`, in the same transaction (under the account's row lock, so concurrent changes
 * each record the list they replaced).
 * @param groups - typed names (the admin API's body, the CLI's `--set` list)
 * @returns the account's groups as stored
 * @throws GroupNameInvalid when a name is not a group name (all of them are quoted), or for more than {@link GROUPS_PER_ACCOUNT_MAX}
 * @throws NotFound when there is no such account
 */
export async function setAccountGroups(deps: ServiceDeps, accountId: string, groups: readonly string[], actor: GroupsActor): Promise<AccountGroups> {
	const { groups: after, invalid } = normalizeGroupNames(groups);
	if (invalid.length > 0) {
		throw new GroupNameInvalid(`Not a group name: ${invalid.map((name) => JSON.stringify(name)).join(", ")}. A group name is 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit.`);
	}
	if (after.length > GROUPS_PER_ACCOUNT_MAX) throw new GroupNameInvalid(`An account can be in at most ${GROUPS_PER_ACCOUNT_MAX} groups; ${after.length} were given.`);
	const outcome = await deps.store.transaction(async (tx) => {
		if (!(await tx.accounts.lockAccount(accountId))) return null;
		const account = await tx.accounts.findAccountById(accountId);
		if (account === null) return null;
		const before = account.groups;
		if (sameGroups(before, after)) return { account, before, changed: false };
		await tx.accounts.setAccountGroups(accountId, after, deps.clock.now());
		await recordSecurityEvent(deps, tx, accountId, "account.groups_changed", actor.context ?? NO_CONTEXT, { before, after, via: actor.via, ...(actor.operator === undefined || actor.operator === null ? {} : { operator: actor.operator }) });
		return { account, before, changed: true };
	});
	if (outcome === null) throw new NotFound("No such account.");
	if (outcome.changed) deps.logger.info({ event: "account.groups_changed", accountId, via: actor.via, before: outcome.before, after }, "account groups changed");
	return Object.freeze({ accountId, email: outcome.account.email, groups: after });
}

/**
 * The groups of an account (the CLI): named by its email (text) or by `{email}` / `{accountId}`.
 * @throws NotFound when no account matches
 */
export async function findAccountGroups(deps: ServiceDeps, target: string | AccountRef): Promise<AccountGroups> {
	const account = await findTargetAccount(deps, typeof target === "string" ? { email: target } : target);
	return Object.freeze({ accountId: account.id, email: account.email, groups: account.groups });
}

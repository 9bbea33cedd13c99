/**
 * Operators' actions (DESIGN.md §3.10: every operator action once, audited), shared by the admin
 * API (`http/routes/admin*.ts`) and the CLI (`cli/commands/*`): who acts ({@link OperatorActor}),
 * which account they name ({@link AccountRef}: an email or an account id), and the admin API's key
 * check. The reads are in `admin-accounts.ts`, the changes in `admin-actions.ts`.
 */
import { NotFound, Unauthenticated } from "../errors.js";
import { secretKeyMatches } from "../domain/crypto/constant-time.js";
import { isWellFormedId } from "../domain/crypto/token.js";
import type { SecurityEventDetails } from "../domain/events/event-types.js";
import type { AccountRecord, Repositories } from "../storage/store.js";
import { normalizeEmail } from "./accounts.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";

/** Which way in an operator used: recorded in every event they cause (`via`). */
export type OperatorVia = "admin_api" | "cli";

/** Who acts: the way in, the operator's OS user (the CLI), and the request (the admin API). */
export interface OperatorActor {
	readonly via: OperatorVia;
	/** The OS user who ran the CLI; null or absent through the admin API (its key names no one). */
	readonly operator?: string | null;
	/** The admin API's request (IP address, user agent) for the activity; default none. */
	readonly context?: RequestContext;
}

/** An account as an operator names it: `{accountId}` (the admin API's path) or `{email}`. */
export type AccountRef = { readonly accountId: string } | { readonly email: string };

/** The facts every operator event carries: `by: "operator"`, `via`, and the OS user when known. */
export function actorDetails(actor: OperatorActor): SecurityEventDetails {
	return actor.operator === undefined || actor.operator === null || actor.operator === "" ? { by: "operator", via: actor.via } : { by: "operator", via: actor.via, operator: actor.operator };
}

/** The request context of an actor (none for the CLI). */
export function actorContext(actor: OperatorActor): RequestContext {
	return actor.context ?? NO_CONTEXT;
}

/**
 * The account an operator names.
 * @param repositories - the store, or a transaction's repositories
 * @throws NotFound when no account matches (an id that cannot be one is not looked up)
 */
export async function findTargetAccount(deps: ServiceDeps, target: AccountRef, repositories: Repositories = deps.store): Promise<AccountRecord> {
	let account: AccountRecord | null = null;
	if ("accountId" in target) {
		if (isWellFormedId(target.accountId)) account = await repositories.accounts.findAccountById(target.accountId);
	} else {
		const normalized = normalizeEmail(target.email);
		if (normalized !== null) account = await repositories.accounts.findAccountByEmail(normalized);
	}
	if (account === null) throw new NotFound("accountId" in target ? "No account has that id." : "No account has that email.", { reason: "no_account" });
	return account;
}

/**
 * Checks the bearer key of an admin API request against `keys.adminApiKey`, in constant time (both
 * sides hashed with SHA-256 first, so lengths do not leak either).
 * @throws NotFound when no admin key is configured (the admin API is off)
 * @throws Unauthenticated when the key is missing or wrong
 */
export function verifyAdminAPIKey(deps: ServiceDeps, presented: string | null): void {
	const configured = deps.config.keys.adminApiKey;
	if (configured === null) throw new NotFound("Not found.", { reason: "admin_api_off" });
	if (presented === null || !secretKeyMatches(presented, configured)) {
		throw new Unauthenticated("The admin API key is missing or wrong.", { reason: "admin_key" });
	}
}

/**
 * `GET /dashboard`: the account home (signed in) or a redirect to sign-in. The sign-in steps land
 * here with a flag in the query ({@link homeAfterSignIn}): only a fixed word travels, the
 * sentence is fixed text (`pages/home.ts`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AuthenticatedSession } from "../../service/sessions.js";
import { PATHS } from "../layout.js";
import { homePage, type ClockDirection, type HomeNotice } from "../pages/home.js";
import type { DashboardContext } from "./context.js";
import { queryParam, sendPage, signedInPage } from "./forms.js";

/** Query flag on the home page after a sign-in with a recovery code. */
const RECOVERY_FLAG = "signed-in-with";
const RECOVERY_FLAG_VALUE = "recovery-code";

/**
 * Query flag on the home page after a code sign-in whose code came from a neighbouring time step
 * (`?clock=ahead|behind`).
 */
const CLOCK_FLAG = "clock";

/** The clock direction of the home page's query (null for anything but the two words). */
function clockFlagOf(value: string | null): ClockDirection | null {
	return value === "ahead" || value === "behind" ? value : null;
}

/** Where a sign-in lands: the home page, flagged for a recovery code or a clock out of step. */
export function homeAfterSignIn(how: { readonly recoveryCode?: boolean; readonly clock?: ClockDirection | null }): string {
	if (how.recoveryCode === true) return `${PATHS.home}?${RECOVERY_FLAG}=${RECOVERY_FLAG_VALUE}`;
	return how.clock === undefined || how.clock === null ? PATHS.home : `${PATHS.home}?${CLOCK_FLAG}=${how.clock}`;
}

const DATE_FORMAT = new Intl.DateTimeFormat("en", { dateStyle: "long", timeZone: "UTC" });

/** The account page with a fixed notice word in the query (the sentence is fixed text). */
export function homeWithNotice(notice: HomeNotice): string {
	return `${PATHS.home}?notice=${notice}`;
}

/** The notice word of the account page's query, or null for anything else. */
function homeNoticeOf(value: string | null): HomeNotice | null {
	return value === "verification-sent" || value === "email-verified" || value === "email-changed" || value === "two-factor-confirmed" || value === "verify-for-app" ? value : null;
}

/**
 * Answers with the account page.
 * @param extras.verificationError - the banner's refusal (too many resends), shown in the banner
 */
export async function sendHomePage(d: DashboardContext, request: FastifyRequest, reply: FastifyReply, account: AuthenticatedSession["account"], status: number, extras: { readonly verificationError?: string | null } = {}): Promise<FastifyReply> {
	const twoFactorEnabled = await d.deadbolt.isTwoFactorEnabled(account.id);
	const requirement = d.deadbolt.twoFactorRequirementOf(account, twoFactorEnabled);
	return sendPage(
		reply,
		status,
		homePage({
			brand: d.brand,
			csrf: d.csrfOf(request, reply),
			email: account.email,
			emailVerified: account.emailVerifiedAt !== null,
			memberSince: DATE_FORMAT.format(new Date(account.createdAt)),
			groups: account.groups,
			twoFactorEnabled,
			twoFactorDeadline: !twoFactorEnabled && requirement.deadline !== null ? DATE_FORMAT.format(new Date(requirement.deadline)) : null,
			recoveryCodesLeft: await d.deadbolt.countUnusedRecoveryCodes(account.id),
			signedInWithRecoveryCode: queryParam(request, RECOVERY_FLAG) === RECOVERY_FLAG_VALUE,
			clock: clockFlagOf(queryParam(request, CLOCK_FLAG)),
			notice: homeNoticeOf(queryParam(request, "notice")),
			verificationError: extras.verificationError ?? null,
		}),
	);
}

/** Registers `GET /`. */
export function registerHomeRoutes(app: FastifyInstance, d: DashboardContext): void {
	app.get(
		"/",
		signedInPage(async (request, reply, { account }) => sendHomePage(d, request, reply, account, 200)),
	);
}

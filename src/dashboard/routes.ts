/**
 * The end-user dashboard under `/dashboard` (DESIGN.md §2, §3.7): server-rendered HTML from the
 * same Fastify app, calling the deadbolt services directly (not the JSON API). Every flow is a
 * plain form that POSTs to its own path; scripts only enhance. Successful POSTs redirect (303),
 * failed ones re-render the form with the error inline and the user's email kept.
 *
 * This plugin only puts the parts together; each page or flow registers its own routes from
 * `routes/`:
 * - `home.ts`: `GET /dashboard`, the account home (signed in) or a redirect to sign-in;
 * - `email-links.ts` (verify the address, confirm a new one, finish a sign-up, change the address),
 *   `password-reset.ts` ("Forgot password?": the request, the code step, the new password);
 * - `sign-up.ts`, `sign-in.ts` (password step, code step with an authenticator or a recovery
 *   code, "Remember this device", sign-out), `sign-in-link.ts` (one-time links);
 * - `security.ts`: `GET /dashboard/settings/security` and the notice of the last action;
 * - `two-factor-setup.ts`: the setup dialog (steps 1 to 4) over the Security page;
 * - the Security page's actions: `sessions.ts`, `password.ts`, `recovery-codes.ts`, `devices.ts`,
 *   `new-phone.ts`, `authenticators.ts` (add another app, rename or remove one), `two-factor-off.ts`, `compromised.ts` ("I think my account is compromised"),
 *   `access-tokens.ts` (personal access tokens: create, shown once, revoke one or all);
 *   the sensitive ones go through `confirm.ts` ("Confirm it's you", sudo mode);
 * - `assets.ts`: `GET /dashboard/assets/dashboard.css|dashboard.js|favicon.svg`;
 * - `brand-assets.ts`: `GET /dashboard/assets/logo|brand.css` (the operator's branding).
 * What they share is in one place each: `routes/context.ts` (services, cookies, the Security
 * page's state), `routes/forms.ts` (form fields, pages, redirects, refusals), `routes/guards.ts`.
 *
 * Security: every POST passes the double-submit token check and a same-origin check first
 * (`csrf.ts`, installed by `routes/guards.ts`); the session and login-challenge cookies are
 * HttpOnly and SameSite=Lax (set by `http/cookies.ts`); responses are `no-store` with a CSP that
 * forbids inline script and style (`http/plugins/security-headers.ts`). A database outage renders
 * a 503 page; any error the dashboard does not expect goes on to the app's error handler (a
 * generic 500).
 */
import type { FastifyPluginAsync } from "fastify";
import type { CookieSettings } from "../http/cookies.js";
import type { BrowserNotFound } from "../http/plugins/not-found.js";
import type { RouteOptions } from "../http/routes/context.js";
import type { Deadbolt } from "../deadbolt.js";
import { registerAccessTokenRoutes } from "./routes/access-tokens.js";
import { registerAssetRoutes } from "./routes/assets.js";
import { authenticatorSudoRoutes, registerAuthenticatorRoutes } from "./routes/authenticators.js";
import { registerBrandAssetRoutes } from "./routes/brand-assets.js";
import { registerCompromisedRoutes } from "./routes/compromised.js";
import { registerConfirmRoutes } from "./routes/confirm.js";
import { createDashboardContext } from "./routes/context.js";
import { deviceSudoRoutes, registerDeviceRoutes } from "./routes/devices.js";
import { installGuards, sendNotFoundPage } from "./routes/guards.js";
import { registerHomeRoutes } from "./routes/home.js";
import { newPhoneSudoRoutes, registerNewPhoneRoutes } from "./routes/new-phone.js";
import { registerPasswordRoutes } from "./routes/password.js";
import { recoveryCodeSudoRoutes } from "./routes/recovery-codes.js";
import { registerSecurityPageRoutes } from "./routes/security.js";
import { registerSessionRoutes, sessionSudoRoutes } from "./routes/sessions.js";
import { registerSignInLinkRoutes } from "./routes/sign-in-link.js";
import { registerRequiredSetupRoutes } from "./routes/required-setup.js";
import { registerAppReturnRoutes } from "./routes/app-return.js";
import { registerSignInRoutes } from "./routes/sign-in.js";
import { registerSignUpRoutes } from "./routes/sign-up.js";
import { registerEmailLinkRoutes } from "./routes/email-links.js";
import { registerPasswordResetRoutes } from "./routes/password-reset.js";
import { registerTwoFactorOffRoutes } from "./routes/two-factor-off.js";
import { registerTwoFactorSetupRoutes } from "./routes/two-factor-setup.js";
import { typedPathTarget } from "./typed-paths.js";

/** The dashboard plugin; registered by `buildApp` with `{ prefix: "/dashboard" }`. */
export const dashboardRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deadbolt, cookies }) => {
	const d = createDashboardContext(deadbolt, cookies);
	installGuards(app, d);
	registerAssetRoutes(app);
	registerBrandAssetRoutes(app, deadbolt);
	registerHomeRoutes(app, d);
	registerSignUpRoutes(app, d);
	registerSignInRoutes(app, d);
	registerAppReturnRoutes(app, d);
	registerSignInLinkRoutes(app, d);
	registerRequiredSetupRoutes(app, d);
	registerEmailLinkRoutes(app, d);
	registerPasswordResetRoutes(app, d);
	registerSecurityPageRoutes(app, d);
	registerTwoFactorSetupRoutes(app, d);
	registerSessionRoutes(app, d);
	registerPasswordRoutes(app, d);
	registerDeviceRoutes(app, d);
	registerNewPhoneRoutes(app);
	registerAuthenticatorRoutes(app, d);
	registerTwoFactorOffRoutes(app, d);
	registerCompromisedRoutes(app, d);
	registerAccessTokenRoutes(app, d);
	registerConfirmRoutes(app, d, { ...sessionSudoRoutes(d), ...recoveryCodeSudoRoutes(d), ...deviceSudoRoutes(d), ...newPhoneSudoRoutes(d), ...authenticatorSudoRoutes(d) });
};

/**
 * What browsers get for a path outside `/dashboard` that matches no route (the app's not-found
 * handler, `http/plugins/not-found.ts`): the page a typed path leads to, or the dashboard's
 * "Page not found" page, in the operator's branding.
 */
export function dashboardBrowserNotFound(deadbolt: Deadbolt, cookies: CookieSettings): BrowserNotFound {
	const d = createDashboardContext(deadbolt, cookies);
	return { redirectFor: typedPathTarget, sendPage: (request, reply) => sendNotFoundPage(d, request, reply) };
}

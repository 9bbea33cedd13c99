/**
 * The provider's own pages in deadbolt's look (oidc-provider's `renderError`, `logoutSource`,
 * `postLogoutSuccessSource`, which answer through Koa's context, outside Fastify): the pages come
 * from `dashboard/pages/oidc.ts`, the headers are the dashboard's (`http/plugins/security-headers.ts`).
 */
import type { KoaContextWithOIDC } from "oidc-provider";
import type { Deadbolt } from "../deadbolt.js";
import { brandOf } from "../dashboard/brand.js";
import type { SafeHtml } from "../dashboard/html.js";
import { oidcErrorPage, oidcLoggedOutPage, oidcLogoutPage } from "../dashboard/pages/oidc.js";
import { securityHeaderValues } from "../http/plugins/security-headers.js";

/**
 * Sends a page through the provider's context, with deadbolt's security headers; `form-action`
 * lists the apps' origins, the stored clients' read now (the logout form ends on the app's
 * post-logout redirect URI).
 */
async function sendThroughContext(ctx: KoaContextWithOIDC, deadbolt: Deadbolt, page: SafeHtml): Promise<void> {
	const https = deadbolt.config.http.publicUrl?.startsWith("https://") ?? false;
	const sources = [...new Set([...deadbolt.returnTargetSources(), ...(await deadbolt.oidc.storedClientOrigins())])];
	for (const [name, value] of Object.entries(securityHeaderValues(https, sources))) ctx.set(name, value);
	ctx.type = "html";
	ctx.body = page.value;
}

/** The app's name from the request's client (its `client_name`, deadbolt's name of it), or null. */
function appNameOf(ctx: KoaContextWithOIDC): string | null {
	const client = ctx.oidc?.client;
	return client === undefined ? null : (client.clientName ?? client.clientId);
}

/** `renderError`: the error code and the library's description (never a stack, never a token). */
export function renderProviderError(deadbolt: Deadbolt) {
	const brand = brandOf(deadbolt);
	return async (ctx: KoaContextWithOIDC, out: { error: string; error_description?: string | undefined }): Promise<void> => {
		await sendThroughContext(ctx, deadbolt, oidcErrorPage({ brand, email: null }, { error: out.error, description: out.error_description ?? null }));
	};
}

/** `features.rpInitiatedLogout.logoutSource`: "Sign out?" with the library's form. */
export function renderLogoutConfirmation(deadbolt: Deadbolt) {
	const brand = brandOf(deadbolt);
	return async (ctx: KoaContextWithOIDC, form: string): Promise<void> => {
		await sendThroughContext(ctx, deadbolt, oidcLogoutPage({ brand, email: null }, { appName: appNameOf(ctx), providerForm: form }));
	};
}

/** `features.rpInitiatedLogout.postLogoutSuccessSource`: "You are signed out". */
export function renderLogoutDone(deadbolt: Deadbolt) {
	const brand = brandOf(deadbolt);
	return async (ctx: KoaContextWithOIDC): Promise<void> => {
		await sendThroughContext(ctx, deadbolt, oidcLoggedOutPage({ brand, email: null }, { appName: appNameOf(ctx) }));
	};
}

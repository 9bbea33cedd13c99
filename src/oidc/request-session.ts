/**
 * The deadbolt session of a request the provider handles: resolved by the Fastify route that
 * mounts the provider (from the dashboard's session cookie, `oidc/routes.ts`) and read by the
 * interaction policy (`oidc/policy.ts`), which sees only the raw request. A WeakMap: nothing
 * outlives its request.
 */
import type { IncomingMessage } from "node:http";
import type { AuthenticatedSession } from "../service/sessions.js";

const sessions = new WeakMap<IncomingMessage, AuthenticatedSession | null>();

/** Records the request's live session (null: none). */
export function rememberRequestSession(request: IncomingMessage, auth: AuthenticatedSession | null): void {
	sessions.set(request, auth);
}

/** The request's live session; null when none (or never resolved: the same to a check). */
export function requestSession(request: IncomingMessage): AuthenticatedSession | null {
	return sessions.get(request) ?? null;
}

/**
 * Turns every error into fastify's body shape `{ statusCode, code, error, message }` with a
 * stable `code` (DESIGN.md §3.4). deadbolt errors keep their safe message; schema-validation and
 * other client errors of Fastify become `ERR_INVALID_REQUEST` (413 and 415 keep their status);
 * anything else is logged in full and answered with a generic 500 (fastify Errors.md, Security
 * note). The reason of a deadbolt error is logged, never sent. A request that matches no route
 * is `not-found.ts`'s.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { STATUS_CODES } from "node:http";
import { DeadboltError, InvalidCode, InvalidRequest, MailLimitReached, NotFound, StorageUnavailable, TooManyAttempts, type Violation } from "../../errors.js";

/** `Retry-After` of a 503 while the database is unreachable, in seconds. */
export const STORAGE_RETRY_AFTER_SECONDS = 5;
import { UnsupportedMediaType } from "./csrf.js";
import { recordOutcome } from "./request-log.js";
import { STATUS_BY_CODE } from "./status-codes.js";

/** The JSON error body. */
export interface ErrorBody {
	statusCode: number;
	code: string;
	error: string;
	message: string;
	violations?: Violation[];
	retryAfterSeconds?: number;
	clockSkewSeconds?: number;
	ignoredSettings?: string[];
	/** Why a code was refused, where the user holds the key (setup, re-authentication): `InvalidCode.refusal`. */
	reason?: string;
}

/**
 * Maps any thrown value to a status and body, and logs it at the right level.
 */
export function toErrorResponse(error: unknown, request: FastifyRequest): { status: number; body: ErrorBody; retryAfterSeconds?: number } {
	const answer = errorAnswer(error, request);
	recordOutcome(request, answer.body.code);
	return answer;
}

function errorAnswer(error: unknown, request: FastifyRequest): { status: number; body: ErrorBody; retryAfterSeconds?: number } {
	if (error instanceof DeadboltError) {
		const status = error instanceof UnsupportedMediaType ? 415 : STATUS_BY_CODE[error.code];
		const body: ErrorBody = { statusCode: status, code: error.code, error: STATUS_CODES[status] ?? "Error", message: error.message };
		if (error instanceof InvalidRequest && error.violations.length > 0) body.violations = [...error.violations];
		const level = status >= 500 ? "error" : "info";
		// `errorCode`, not `code`: the logger redacts any field named `code` (it may hold a TOTP code).
		request.log[level]({ errorCode: error.code, reason: error.reason, ...(status >= 500 && error.cause !== undefined ? { err: error.cause } : {}) }, "request refused");
		if (error instanceof TooManyAttempts || error instanceof MailLimitReached) {
			body.retryAfterSeconds = error.retryAfterSeconds;
			return { status, body, retryAfterSeconds: error.retryAfterSeconds };
		}
		if (error instanceof StorageUnavailable) return { status, body, retryAfterSeconds: STORAGE_RETRY_AFTER_SECONDS };
		if (error instanceof InvalidCode && error.clockSkewSeconds !== null) body.clockSkewSeconds = error.clockSkewSeconds;
		if (error instanceof InvalidCode && error.ignoredSettings !== null) body.ignoredSettings = [...error.ignoredSettings];
		if (error instanceof InvalidCode && error.refusal !== null) body.reason = error.refusal;
		return { status, body };
	}
	const fastifyError = error as Partial<FastifyError>;
	const status = typeof fastifyError.statusCode === "number" ? fastifyError.statusCode : 500;
	if (status >= 400 && status < 500) {
		const message = fastifyError.validation !== undefined ? `Invalid request: ${fastifyError.message ?? "bad input"}` : (fastifyError.message ?? "Bad request");
		request.log.info({ fastifyCode: fastifyError.code }, "invalid request");
		const code = status === 404 ? NotFound.code : InvalidRequest.code;
		const body: ErrorBody = { statusCode: status, code, error: STATUS_CODES[status] ?? "Error", message };
		const violations = schemaViolations(fastifyError.validation);
		if (violations.length > 0) body.violations = violations;
		return { status, body };
	}
	request.log.error({ err: error }, "unexpected error");
	return { status: 500, body: { statusCode: 500, code: "ERR_INTERNAL", error: "Internal Server Error", message: "Something went wrong on our side. Try again later." } };
}

/** One schema-validation error as Fastify reports it (Ajv's shape, the parts used here). */
interface SchemaError {
	readonly keyword?: string;
	readonly instancePath?: string;
	readonly params?: Record<string, unknown>;
	readonly message?: string;
}

/**
 * Schema-validation errors as `violations` naming the field, like the service's own (a missing
 * field is `required`, an unknown one `not_allowed`; anything else keeps Ajv's keyword), so a
 * client can show each next to its field.
 */
export function schemaViolations(validation: unknown): Violation[] {
	if (!Array.isArray(validation)) return [];
	return (validation as SchemaError[]).flatMap((error): Violation[] => {
		const path = (error.instancePath ?? "").replace(/^\//, "").replaceAll("/", ".");
		if (error.keyword === "required" && typeof error.params?.["missingProperty"] === "string") {
			const field = [path, error.params["missingProperty"]].filter((part) => part !== "").join(".");
			return [{ field, rule: "required", message: `${field} is required.` }];
		}
		if (error.keyword === "additionalProperties" && typeof error.params?.["additionalProperty"] === "string") {
			const field = [path, error.params["additionalProperty"]].filter((part) => part !== "").join(".");
			return [{ field, rule: "not_allowed", message: `${field} is not a field of this request.` }];
		}
		if (path === "") return [];
		return [{ field: path, rule: error.keyword ?? "invalid", message: `${path} ${error.message ?? "is not valid"}.` }];
	});
}

async function errorHandler(app: FastifyInstance): Promise<void> {
	app.setErrorHandler((error, request, reply: FastifyReply) => {
		const { status, body, retryAfterSeconds } = toErrorResponse(error, request);
		if (retryAfterSeconds !== undefined) void reply.header("retry-after", String(retryAfterSeconds));
		return reply.status(status).type("application/json; charset=utf-8").send(body);
	});
}

/** The error-handler plugin (not encapsulated: it applies to the whole app). */
export const errorHandlerPlugin = fp(errorHandler, { name: "deadbolt-error-handler" });

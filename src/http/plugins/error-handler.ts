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
		const validation = Array.isArray(fastifyError.validation) ? mergeLiteralChoices(fastifyError.validation as SchemaError[]) : null;
		const context = (fastifyError as { validationContext?: unknown }).validationContext;
		// Fastify's own wording (`querystring/twoFactor must ...`), from the merged errors.
		const validationText = validation !== null && typeof context === "string" && validation.length > 0 ? validation.map((e) => `${context}${e.instancePath ?? ""} ${e.message ?? "is not valid"}`).join(", ") : (fastifyError.message ?? "bad input");
		const message = fastifyError.validation !== undefined ? `Invalid request: ${validationText}` : (fastifyError.message ?? "Bad request");
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
	readonly schemaPath?: string;
	readonly params?: Record<string, unknown>;
	readonly message?: string;
}

/** The allowed values of a `const` or `enum` error; null for any other error. */
function allowedValuesOf(error: SchemaError): unknown[] | null {
	if (error.keyword === "const" && error.params !== undefined && "allowedValue" in error.params) return [error.params["allowedValue"]];
	if (error.keyword === "enum" && Array.isArray(error.params?.["allowedValues"])) return error.params["allowedValues"] as unknown[];
	return null;
}

/**
 * Ajv's errors with each choice among literals as one error naming the values: a union of
 * literals (`Type.Union([Type.Literal("true"), Type.Literal("false")])`, an `anyOf` of `const`s)
 * fails as one `const` error per branch ("must be equal to constant", twice) and an `anyOf` error
 * ("must match a schema in anyOf"), none naming the values; merged, it is one `enum` error "must
 * be one of: true, false". A lone `enum` or `const` is worded the same way. Other errors are kept.
 */
export function mergeLiteralChoices(errors: readonly SchemaError[]): SchemaError[] {
	const merged: SchemaError[] = [];
	const literalError = (error: SchemaError, values: readonly unknown[]): SchemaError => ({
		keyword: "enum",
		instancePath: error.instancePath ?? "",
		schemaPath: error.schemaPath ?? "",
		params: { allowedValues: [...values] },
		message: `must be one of: ${values.map((value) => (typeof value === "string" ? value : JSON.stringify(value))).join(", ")}`,
	});
	let index = 0;
	while (index < errors.length) {
		const error = errors[index] as SchemaError;
		// A run of literal branches at one place, closed by their anyOf.
		let end = index;
		const values: unknown[] = [];
		while (end < errors.length && (errors[end] as SchemaError).instancePath === error.instancePath && allowedValuesOf(errors[end] as SchemaError) !== null) {
			values.push(...(allowedValuesOf(errors[end] as SchemaError) as unknown[]));
			end += 1;
		}
		const closing = errors[end];
		const anyOf = closing?.keyword === "anyOf" && closing.instancePath === error.instancePath ? closing : undefined;
		const branches = errors.slice(index, end);
		if (anyOf !== undefined && end > index && branches.every((branch) => (branch.schemaPath ?? "").startsWith(`${anyOf.schemaPath ?? ""}/`))) {
			merged.push(literalError(anyOf, values));
			index = end + 1;
		} else if (allowedValuesOf(error) !== null) {
			merged.push(literalError(error, allowedValuesOf(error) as unknown[]));
			index += 1;
		} else {
			merged.push(error);
			index += 1;
		}
	}
	return merged;
}

/**
 * Schema-validation errors as `violations` naming the field, like the service's own (a missing
 * field is `required`, an unknown one `not_allowed`, a choice among literals `enum` naming the
 * values ({@link mergeLiteralChoices}); anything else keeps Ajv's keyword), so a
 * client can show each next to its field.
 */
export function schemaViolations(validation: unknown): Violation[] {
	if (!Array.isArray(validation)) return [];
	return mergeLiteralChoices(validation as SchemaError[]).flatMap((error): Violation[] => {
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

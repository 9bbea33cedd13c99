/**
 * Checks answers of the JSON API against its OpenAPI document (`/api/v1/openapi.json`): the route
 * (path and method) must be in it, the status must be one it lists for that operation, and the
 * body must match that status's schema (JSON Schema 2020-12, with `ajv`'s draft 2020 validator and
 * its formats) or be empty where it documents none. Used by `test/http/openapi.test.ts` on a
 * representative run of flows, and by `createTestApp` (`http.ts`) on every `app.inject` of the
 * HTTP tests.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";

// ajv-formats is CommonJS: its default export is the function under ESM interop.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** The parts of an OpenAPI document read here. */
export interface OpenAPIDocumentLike {
	readonly openapi: string;
	readonly paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
	readonly components?: unknown;
}

/** One answer to check. */
export interface Answer {
	readonly method: string;
	/** The request URL (path and query). */
	readonly url: string;
	readonly status: number;
	readonly contentType: string | undefined;
	readonly body: string;
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();

function validatorFor(schema: unknown): ValidateFunction {
	const key = JSON.stringify(schema);
	let validate = compiled.get(key);
	if (validate === undefined) {
		validate = ajv.compile(schema as object);
		compiled.set(key, validate);
	}
	return validate;
}

/** `/api/v1/sessions/{id}` as a regular expression over a request path. */
function templatePattern(template: string): RegExp {
	const escaped = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"));
	return new RegExp(`^${escaped.join("[^/]+")}$`);
}

/** Whether a request path is the JSON API's, whose answers the document must describe. */
export function isAPIPath(path: string): boolean {
	if (path === "/api/v1/docs" || path.startsWith("/api/v1/docs/")) return false;
	return path.startsWith("/api/v1/") || ["/healthz", "/readyz", "/.well-known/jwks.json"].includes(path);
}

/** A checker of answers against `document`. */
export function answerChecker(document: OpenAPIDocumentLike): (answer: Answer) => string[] {
	const templates = Object.keys(document.paths)
		.map((template) => ({ template, pattern: templatePattern(template) }))
		// Literal paths before templated ones (`/sessions` before `/sessions/{id}`).
		.sort((a, b) => Number(a.template.includes("{")) - Number(b.template.includes("{")));
	return (answer) => {
		const path = answer.url.replace(/^https?:\/\/[^/]+/, "").split("?")[0] ?? "";
		if (!isAPIPath(path)) return [];
		const where = `${answer.method} ${path} -> ${answer.status}`;
		const template = templates.find((candidate) => candidate.pattern.test(path));
		// A path no route has is the not-found handler's (404 ERR_NOT_FOUND), or a request refused before routing (a malformed
		// URL such as `/api/v1/%`: 400 ERR_INVALID_REQUEST, `frameworkErrors` in app.ts): documented by no route, always these.
		if (template === undefined) return (answer.status === 404 && (answer.body.includes('"ERR_NOT_FOUND"') || (answer.method === "HEAD" && answer.body === ""))) || (answer.status === 400 && answer.body.includes('"ERR_INVALID_REQUEST"')) ? [] : [`${where}: no path of the document matches`];
		const operation = document.paths[template.template]?.[answer.method.toLowerCase()];
		if (operation === undefined) return answer.status === 404 ? [] : [`${where}: the document has no ${answer.method} for ${template.template}`];
		const response = operation.responses?.[String(answer.status)];
		if (response === undefined) return [`${where}: status ${answer.status} is not documented for ${answer.method} ${template.template} (documented: ${Object.keys(operation.responses ?? {}).join(", ")}); body ${answer.body.slice(0, 300)}`];
		const schema = response.content?.["application/json"]?.schema;
		if (schema === undefined) {
			return answer.body === "" || answer.method === "HEAD" ? [] : [`${where}: the document gives no body, the answer has ${answer.body.slice(0, 200)}`];
		}
		if (answer.method === "HEAD") return [];
		if (!(answer.contentType ?? "").startsWith("application/json")) return [`${where}: content-type ${answer.contentType ?? "(none)"}, documented application/json`];
		let body: unknown;
		try {
			body = JSON.parse(answer.body);
		} catch {
			return [`${where}: the body is not JSON: ${answer.body.slice(0, 200)}`];
		}
		const validate = validatorFor(schema);
		if (validate(body)) return [];
		return [`${where}: the body does not match the documented schema: ${ajv.errorsText(validate.errors)}; body ${answer.body.slice(0, 400)}`];
	};
}

/** An `app.inject` call's options, the parts read here. */
interface InjectLike {
	readonly method?: string;
	readonly url?: string | { pathname?: string };
	readonly path?: string | { pathname?: string };
}

/**
 * Makes every `app.inject(options)` of `app` check its answer against the app's own OpenAPI
 * document (`app.swagger()`): an answer the document does not describe fails the request with
 * every mismatch listed. The chain form (`app.inject()` with no options) and callbacks are left
 * alone.
 */
export function checkEveryAnswer(app: FastifyInstance): void {
	// Built at the first answer of the API (generating the document costs tens of milliseconds: pages-only tests never pay it).
	let checker: ((answer: Answer) => string[]) | null = null;
	const check = (answer: Answer): string[] => {
		if (!isAPIPath(answer.url.replace(/^https?:\/\/[^/]+/, "").split("?")[0] ?? "")) return [];
		checker ??= answerChecker(app.swagger() as unknown as OpenAPIDocumentLike);
		return checker(answer);
	};
	const inject = app.inject.bind(app) as (options?: unknown, callback?: unknown) => unknown;
	const wrapped = (options?: unknown, callback?: unknown): unknown => {
		if (options === undefined || callback !== undefined || typeof options === "string") return inject(options, callback);
		return (inject(options) as Promise<LightMyRequestResponse>).then((response) => {
			const opts = options as InjectLike;
			const raw = opts.url ?? opts.path ?? "/";
			const url = typeof raw === "string" ? raw : (raw.pathname ?? "/");
			const problems = check({ method: (opts.method ?? "GET").toUpperCase(), url, status: response.statusCode, contentType: response.headers["content-type"] as string | undefined, body: response.body });
			if (problems.length > 0) throw new Error(`The answer does not match the OpenAPI document:\n${problems.join("\n")}`);
			return response;
		});
	};
	(app as unknown as { inject: typeof wrapped }).inject = wrapped;
}

/**
 * A small client of deadbolt's JSON API over real HTTP (Node's fetch), as an integrator's
 * backend uses it: JSON bodies, tokens in the body, `Authorization: Bearer` (docs/http-api.md).
 * Every request gives up after a timeout instead of hanging the test, and its failure then says
 * which request it was.
 *
 * Also the codes an authenticator app would show, computed by `otpauth` (an implementation
 * deadbolt does not ship) from the key URI the server handed out.
 */
import { URI, type HOTP, type TOTP } from "otpauth";

/** How long one request may take before the client gives up, in milliseconds. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** An HTTP answer with its JSON body parsed (`null` when the body is empty or not JSON). */
export interface APIResponse {
	readonly status: number;
	// The tests read whatever fields the documented shapes have.
	readonly body: any;
	readonly headers: Headers;
}

/** What one request carries. */
export interface RequestOptions {
	/** Sent as JSON. */
	readonly body?: unknown;
	/** A session token, sent as `Authorization: Bearer <token>`. */
	readonly token?: string;
	/** More request headers (e.g. a `cookie`). */
	readonly headers?: Readonly<Record<string, string>>;
	/** Default {@link REQUEST_TIMEOUT_MS}. */
	readonly timeoutMs?: number;
}

/** A client of one deadbolt instance. */
export interface APIClient {
	/** `http://127.0.0.1:<port>` */
	readonly baseUrl: string;
	/** Any request; `path` starts with `/` (e.g. `/api/v1/login`, `/readyz`). */
	request(method: string, path: string, options?: RequestOptions): Promise<APIResponse>;
	get(path: string, options?: RequestOptions): Promise<APIResponse>;
	post(path: string, options?: RequestOptions): Promise<APIResponse>;
	delete(path: string, options?: RequestOptions): Promise<APIResponse>;
}

/** A client of the instance at `baseUrl`. */
export function apiClient(baseUrl: string): APIClient {
	const request = async (method: string, path: string, options: RequestOptions = {}): Promise<APIResponse> => {
		const headers: Record<string, string> = { ...options.headers };
		if (options.body !== undefined) headers["content-type"] = "application/json";
		if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
		let response: Response;
		try {
			response = await fetch(`${baseUrl}${path}`, {
				method,
				headers,
				...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
				signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS),
			});
		} catch (error) {
			throw new Error(`${method} ${baseUrl}${path} got no answer: ${(error as Error).message}`, { cause: error });
		}
		const text = await response.text();
		let body: unknown = null;
		try {
			body = text === "" ? null : JSON.parse(text);
		} catch {
			body = null;
		}
		return { status: response.status, body, headers: response.headers };
	};
	return {
		baseUrl,
		request,
		get: (path, options) => request("GET", path, options),
		post: (path, options) => request("POST", path, options),
		delete: (path, options) => request("DELETE", path, options),
	};
}

/** An authenticator app holding one key: the codes it shows. */
export interface Authenticator {
	/** The code for the time `atUnixMillis` (default now). */
	codeAt(atUnixMillis?: number): string;
	/** A 6-digit string that is NOT the code of any step from 10 before to 10 after `atUnixMillis` (a wrong guess). */
	wrongCodeAt(atUnixMillis?: number): string;
}

/** The authenticator of an `otpauth://totp/...` key URI (what scanning the QR code gives). */
export function authenticatorOf(keyUri: string): Authenticator {
	const parsed: HOTP | TOTP = URI.parse(keyUri);
	if (!("period" in parsed)) throw new Error(`not a TOTP key URI: ${keyUri}`);
	const totp = parsed;
	const codeAt = (atUnixMillis = Date.now()): string => totp.generate({ timestamp: atUnixMillis });
	return {
		codeAt,
		wrongCodeAt(atUnixMillis = Date.now()): string {
			const near = new Set<string>();
			for (let step = -10; step <= 10; step++) near.add(codeAt(atUnixMillis + step * totp.period * 1000));
			for (let candidate = 0; ; candidate++) {
				const code = String((Number(codeAt(atUnixMillis)) + 500_000 + candidate) % 1_000_000).padStart(totp.digits, "0");
				if (!near.has(code)) return code;
			}
		},
	};
}

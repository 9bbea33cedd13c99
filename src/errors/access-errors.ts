/**
 * Errors of forward-auth and access rules: the proxy, the forwarded request, a denied or under-assured request, groups.
 * Re-exported by `errors.ts` (the one place the rest of deadbolt imports errors from).
 */
import { DeadboltError, type DeadboltErrorOptions } from "./base.js";

/**
 * A forward-auth endpoint was called by a client that is not in `http.trustedProxies`, with the
 * original request's headers: they are not believed (anyone could claim any URL). HTTP 400.
 */
export class ProxyNotTrusted extends DeadboltError {
	static override code = "ERR_PROXY_NOT_TRUSTED" as const;
	readonly code = "ERR_PROXY_NOT_TRUSTED" as const;
	constructor(message = "This endpoint answers only proxies listed in http.trustedProxies; the request came from another address. Add the proxy's address to http.trustedProxies.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** A forward-auth request without the original request's headers, or with malformed ones. HTTP 400. */
export class ForwardedRequestInvalid extends DeadboltError {
	static override code = "ERR_FORWARDED_REQUEST_INVALID" as const;
	readonly code = "ERR_FORWARDED_REQUEST_INVALID" as const;
	constructor(message = "The proxy did not say which request it asks about.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** An access rule (or the default policy) denies the request, or a token is not for this host. HTTP 403. */
export class AccessDenied extends DeadboltError {
	static override code = "ERR_ACCESS_DENIED" as const;
	readonly code = "ERR_ACCESS_DENIED" as const;
	constructor(message = "You do not have access to this page.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** Signed in, but this app asks for a (more recent) second factor, or for 2FA to be set up first. HTTP 401. */
export class SecondFactorRequired extends DeadboltError {
	static override code = "ERR_SECOND_FACTOR_REQUIRED" as const;
	readonly code = "ERR_SECOND_FACTOR_REQUIRED" as const;
	constructor(message = "This app asks for a code from your authenticator app: confirm it's you to continue.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** Signed in with an address that is not verified yet: only `bypass` rules let it through. HTTP 401. */
export class EmailNotVerified extends DeadboltError {
	static override code = "ERR_EMAIL_NOT_VERIFIED" as const;
	readonly code = "ERR_EMAIL_NOT_VERIFIED" as const;
	constructor(message = "Verify your email address first: open the link we mailed you.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * A group name given to the admin API or `deadbolt account groups --set` is not one (1 to 64 of
 * `a-z 0-9 . _ -`, starting with a letter or digit, after trimming and lowering ASCII letters:
 * `domain/access/group-name.ts`), or an account would get more groups than it may have. Nothing
 * was changed. HTTP 400.
 */
export class GroupNameInvalid extends DeadboltError {
	static override code = "ERR_GROUP_NAME_INVALID" as const;
	readonly code = "ERR_GROUP_NAME_INVALID" as const;
	constructor(message = "A group name is not valid: use 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

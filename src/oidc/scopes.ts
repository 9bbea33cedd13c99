/** The scopes deadbolt's provider grants (OpenID Connect Core §5.4; `groups`: the account's groups); any other asked for is dropped. */
export const GRANTABLE_SCOPES: ReadonlySet<string> = new Set(["openid", "email", "groups", "offline_access"]);

/** Links built on the origin users reach deadbolt at (`Deadbolt.publicOrigin`): sign-in links given out by the CLI and the admin API. */

/**
 * The dashboard address that redeems a sign-in link: `<origin>/dashboard/sign-in-link?token=<token>`.
 * @param origin - `Deadbolt.publicOrigin` (config `http.publicUrl`, or `http://host:port`), no trailing slash
 */
export function signInLinkURL(origin: string, token: string): string {
	return `${origin}/dashboard/sign-in-link?token=${encodeURIComponent(token)}`;
}

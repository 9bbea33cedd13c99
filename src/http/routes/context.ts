/** What every route group receives. */
import type { Deadbolt } from "../../deadbolt.js";
import type { CookieSettings } from "../cookies.js";

/** Options passed to each route plugin. */
export interface RouteOptions {
	readonly deadbolt: Deadbolt;
	readonly cookies: CookieSettings;
}

/**
 * The remembered devices on the Security page: `POST .../devices/forget` (one device) and the
 * sensitive `.../devices/forget-all` (behind "Confirm it's you", `confirm.ts`). A forgotten
 * device's cookie, if it is this browser's, stops working at the next sign-in, which clears it.
 */
import type { FastifyInstance } from "fastify";
import { requestContext } from "../../http/plugins/session.js";
import type { SudoRoutes } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { seeOther } from "./forms.js";
import { doneURL, registerRemoveOne } from "./security.js";

/** Registers `POST /settings/security/devices/forget`. */
export function registerDeviceRoutes(app: FastifyInstance, d: DashboardContext): void {
	registerRemoveOne(app, "/settings/security/devices/forget", { field: "device", card: "devices", gone: "device-gone" }, async (request, reply, auth, id) => {
		await d.deadbolt.revokeTrustedDevice(auth, id, requestContext(request));
		return seeOther(reply, doneURL("devices", "device-forgotten"));
	});
}

/** Forget every remembered device. */
export function deviceSudoRoutes(d: DashboardContext): Pick<SudoRoutes, "forget-all-devices"> {
	return {
		"forget-all-devices": {
			path: "/settings/security/devices/forget-all",
			perform: async (request, reply, auth) => {
				const count = await d.deadbolt.revokeAllTrustedDevices(auth, requestContext(request));
				return seeOther(reply, doneURL("devices", "devices-forgotten", count));
			},
		},
	};
}

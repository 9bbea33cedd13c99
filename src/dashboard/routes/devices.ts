/**
 * The remembered devices on the Security page: `POST .../devices/forget` (one device) and the
 * sensitive `.../devices/forget-all` (behind "Confirm it's you", `confirm.ts`). A forgotten
 * device's cookie, if it is this browser's, stops working at the next sign-in, which clears it.
 */
import type { FastifyInstance } from "fastify";
import { NotFound } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { PATHS } from "../layout.js";
import type { SudoRoutes } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { formField, seeOther, signedInForm } from "./forms.js";

/** Registers `POST /settings/security/devices/forget`. */
export function registerDeviceRoutes(app: FastifyInstance, d: DashboardContext): void {
	app.post(
		"/settings/security/devices/forget",
		signedInForm(async (request, reply, auth) => {
			const id = formField(request, "device");
			if (id === "") return seeOther(reply, `${PATHS.security}#devices`);
			try {
				await d.deadbolt.revokeTrustedDevice(auth, id, requestContext(request));
			} catch (error) {
				if (error instanceof NotFound) return seeOther(reply, `${PATHS.security}?done=device-gone#devices`);
				throw error;
			}
			return seeOther(reply, `${PATHS.security}?done=device-forgotten#devices`);
		}),
	);
}

/** Forget every remembered device. */
export function deviceSudoRoutes(d: DashboardContext): Pick<SudoRoutes, "forget-all-devices"> {
	return {
		"forget-all-devices": {
			path: "/settings/security/devices/forget-all",
			perform: async (request, reply, auth) => {
				const count = await d.deadbolt.revokeAllTrustedDevices(auth, requestContext(request));
				return seeOther(reply, `${PATHS.security}?done=devices-forgotten&n=${count}#devices`);
			},
		},
	};
}

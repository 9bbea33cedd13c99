import { describe, expect, it } from "vitest";
import { describeDevice } from "./devices.js";

describe("describeDevice", () => {
	it("names browsers and systems, and shows other clients by what they sent", () => {
		expect(describeDevice("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36").label).toBe("Chrome on Linux");
		expect(describeDevice("curl/8.5.0")).toEqual({ browser: null, os: null, platform: null, label: "Other client (curl/8.5.0)" });
		expect(describeDevice(null).label).toBe("Unknown device");
		expect(describeDevice("   ").label).toBe("Unknown device");
	});
});

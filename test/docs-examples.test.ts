/**
 * The systemd example files and the install steps of docs/operations.md name one port: the unit's
 * `DEADBOLT_HTTP_PORT`, its readiness URL (`ExecStartPost`), the liveness check's URL and the
 * port the reverse proxy is told to forward to. A copy of the files that disagree would start
 * deadbolt and then fail its readiness check, or restart it every minute.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

describe("docs/examples/deadbolt.service and its port", () => {
	const unit = read("docs/examples/deadbolt.service");
	const port = /^Environment=DEADBOLT_HTTP_PORT=(\d+)$/m.exec(unit)?.[1];

	it("sets the port once, on loopback", () => {
		expect(port).toBeDefined();
		expect(unit.match(/^Environment=DEADBOLT_HTTP_PORT=/gm)).toHaveLength(1);
		expect(unit).toMatch(/^Environment=DEADBOLT_HTTP_HOST=127\.0\.0\.1$/m);
	});

	it("waits for /readyz on that port, and the liveness check asks /healthz on it", () => {
		expect(/^ExecStartPost=.*http:\/\/127\.0\.0\.1:(\d+)\/readyz/m.exec(unit)?.[1]).toBe(port);
		expect(/^ExecStart=.*http:\/\/127\.0\.0\.1:(\d+)\/healthz/m.exec(read("docs/examples/deadbolt-healthcheck.service"))?.[1]).toBe(port);
	});

	it("is the port docs/operations.md's install steps name for the unit and the reverse proxy", () => {
		const install = read("docs/operations.md").split("## Install")[1]?.split("\n## ")[0] ?? "";
		const named = [...install.matchAll(/127\.0\.0\.1:(\d+)/g)].map((match) => match[1]);
		// The integration files' placeholder address is named as such; every other address is the unit's.
		expect(named.filter((each) => each !== "9091")).not.toHaveLength(0);
		expect(new Set(named.filter((each) => each !== "9091"))).toEqual(new Set([port]));
	});
});

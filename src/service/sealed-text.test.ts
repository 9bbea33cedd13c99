import { describe, expect, it } from "vitest";
import { nodeRandom } from "../platform/random.js";
import { openText, sealText } from "./sealed-text.js";

const deps = { keys: { encryptionKey: new Uint8Array(32).fill(7), hmacKey: new Uint8Array(32) }, random: nodeRandom };

describe("sealed text", () => {
	it("opens for its purpose and row only", () => {
		const sealed = sealText(deps, "delivery-secret", "row-1", "abc.def");
		expect(openText(deps, "delivery-secret", "row-1", sealed)).toBe("abc.def");
		expect(() => openText(deps, "delivery-secret", "row-2", sealed)).toThrow(/does not open/);
		expect(() => openText(deps, "webhook-secret", "row-1", sealed)).toThrow(/does not open/);
		expect(() => openText({ keys: { ...deps.keys, encryptionKey: new Uint8Array(32).fill(8) } }, "delivery-secret", "row-1", sealed)).toThrow(/does not open/);
		expect(Buffer.from(sealed).toString("latin1")).not.toContain("abc.def");
	});
});

import { describe, expect, it } from "vitest";
import { nodeRandom } from "../../platform/random.js";
import { LEGACY_KEY_ID, openWithRing, sealedKeyId, sealWithRing, singleKeyRing, type KeyRing } from "./key-ring.js";
import { sealSecret } from "./secret-box.js";

const k1 = new Uint8Array(32).fill(1);
const k2 = new Uint8Array(32).fill(2);
const ring = (primaryId: string, entries: [string, Uint8Array][]): KeyRing => ({ primaryId, keys: new Map(entries) });
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("key-ring envelope", () => {
	it("seals under the primary key, names its id, and opens with that key only", () => {
		const sealed = sealWithRing(ring("k2", [["k1", k1], ["k2", k2]]), new TextEncoder().encode("secret"), "row-1", nodeRandom);
		expect(sealedKeyId(sealed)).toBe("k2");
		const opened = openWithRing(ring("k1", [["k1", k1], ["k2", k2]]), sealed, "row-1");
		expect(opened.kind).toBe("opened");
		expect(text((opened as { plaintext: Uint8Array }).plaintext)).toBe("secret");
		expect(Buffer.from(sealed).toString("latin1")).not.toContain("secret");
	});

	it("says which key is missing instead of trying another", () => {
		const sealed = sealWithRing(singleKeyRing(k2, "k2"), new TextEncoder().encode("secret"), "row-1", nodeRandom);
		expect(openWithRing(singleKeyRing(k1, "k1"), sealed, "row-1")).toEqual({ kind: "missing-key", keyId: "k2" });
	});

	it("refuses another row, another key under the same id, a changed id byte and tampering", () => {
		const sealed = sealWithRing(singleKeyRing(k1, "k1"), new TextEncoder().encode("secret"), "row-1", nodeRandom);
		expect(openWithRing(singleKeyRing(k1, "k1"), sealed, "row-2").kind).toBe("invalid");
		expect(openWithRing(singleKeyRing(k2, "k1"), sealed, "row-1").kind).toBe("invalid");
		const renamed = Uint8Array.from(sealed);
		renamed[3] = "2".charCodeAt(0); // "k1" -> "k2": the id is authenticated too
		expect(openWithRing(ring("k1", [["k1", k1], ["k2", k1]]), renamed, "row-1").kind).toBe("invalid");
		const tampered = Uint8Array.from(sealed);
		tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
		expect(openWithRing(singleKeyRing(k1, "k1"), tampered, "row-1").kind).toBe("invalid");
		expect(openWithRing(singleKeyRing(k1, "k1"), new Uint8Array([9, 1, 2]), "row-1")).toEqual({ kind: "invalid", keyId: null });
	});

	it("opens a value sealed before key rings (version 1) with the key `default`", () => {
		const old = sealSecret(k1, new TextEncoder().encode("legacy"), "row-1", nodeRandom);
		expect(sealedKeyId(old)).toBe(LEGACY_KEY_ID);
		const opened = openWithRing(ring("k2", [[LEGACY_KEY_ID, k1], ["k2", k2]]), old, "row-1");
		expect(opened.kind === "opened" && text(opened.plaintext)).toBe("legacy");
		expect(openWithRing(singleKeyRing(k2, "k2"), old, "row-1")).toEqual({ kind: "missing-key", keyId: LEGACY_KEY_ID });
	});
});

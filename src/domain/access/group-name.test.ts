import { describe, expect, it } from "vitest";
import { GROUP_NAME_MAX_LENGTH, isGroupName, normalizeGroupName, normalizeGroupNames } from "./group-name.js";

describe("group names", () => {
	it("are 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit", () => {
		for (const name of ["a", "admins", "ops.team", "dev_1", "team-x", "0day", "a".repeat(GROUP_NAME_MAX_LENGTH)]) expect(isGroupName(name), name).toBe(true);
		for (const name of ["", "a".repeat(GROUP_NAME_MAX_LENGTH + 1), "Admins", "-x", ".x", "_x", "a b", "a,b", "a/b", "a:b", "é", '"a"', "a\n"]) expect(isGroupName(name), JSON.stringify(name)).toBe(false);
	});

	it("typed names are trimmed and ASCII-lowered; what is still not a name is null", () => {
		expect(normalizeGroupName("  Admins ")).toBe("admins");
		expect(normalizeGroupName("OPS.Team")).toBe("ops.team");
		expect(normalizeGroupName("   ")).toBeNull();
		expect(normalizeGroupName("a,b")).toBeNull();
		expect(normalizeGroupName(`${"A".repeat(GROUP_NAME_MAX_LENGTH)}B`)).toBeNull();
	});

	it("a non-ASCII letter is never folded into an ASCII one (the Kelvin sign lowers to k elsewhere)", () => {
		expect("\u212A".toLowerCase()).toBe("k");
		expect(normalizeGroupName("\u212Aeys")).toBeNull();
		expect(normalizeGroupName("\u0130nfra")).toBeNull();
	});

	it("a list comes out normalized, each name once, sorted; the invalid inputs are reported as typed", () => {
		expect(normalizeGroupNames(["ops", "Admins", "admins ", "b-team", "no way", ""])).toEqual({ groups: ["admins", "b-team", "ops"], invalid: ["no way", ""] });
		expect(normalizeGroupNames([])).toEqual({ groups: [], invalid: [] });
	});
});

import { describe, expect, it } from "vitest";
import { isTwoFactorOverdue, isTwoFactorRequired, twoFactorDeadline, type TwoFactorPolicy } from "./two-factor-policy.js";

const DAY = 86_400_000;
const SINCE = "2026-12-01T00:00:00Z";
const since = Date.parse(SINCE);
const policy = (over: Partial<TwoFactorPolicy> = {}): TwoFactorPolicy => ({ enforce: "everyone", groups: [], enforcedSince: SINCE, gracePeriodDays: 14, ...over });

describe("two-factor policy", () => {
	it("off applies to nobody; everyone to all; groups to members of any listed group", () => {
		expect(isTwoFactorRequired(policy({ enforce: "off" }), ["admins"])).toBe(false);
		expect(isTwoFactorRequired(policy(), [])).toBe(true);
		expect(isTwoFactorRequired(policy({ enforce: "groups", groups: ["admins", "ops"] }), ["ops"])).toBe(true);
		expect(isTwoFactorRequired(policy({ enforce: "groups", groups: ["admins"] }), ["staff"])).toBe(false);
	});

	it("the deadline counts from the later of enforcedSince and the account's creation", () => {
		expect(twoFactorDeadline(policy(), { createdAt: since - 100 * DAY, groups: [] })).toBe(since + 14 * DAY);
		expect(twoFactorDeadline(policy(), { createdAt: since + 3 * DAY, groups: [] })).toBe(since + 17 * DAY);
		expect(twoFactorDeadline(policy({ gracePeriodDays: 0 }), { createdAt: 0, groups: [] })).toBe(since);
		expect(twoFactorDeadline(policy({ enforce: "off" }), { createdAt: 0, groups: [] })).toBeNull();
		expect(twoFactorDeadline(policy({ enforcedSince: "not a date" }), { createdAt: 0, groups: [] })).toBeNull();
	});

	it("overdue from the deadline on, not a millisecond before", () => {
		const account = { createdAt: 0, groups: [] };
		expect(isTwoFactorOverdue(policy(), account, since + 14 * DAY - 1)).toBe(false);
		expect(isTwoFactorOverdue(policy(), account, since + 14 * DAY)).toBe(true);
		expect(isTwoFactorOverdue(policy({ enforce: "off" }), account, Number.MAX_SAFE_INTEGER)).toBe(false);
	});
});

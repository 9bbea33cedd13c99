import { describe, expect, it } from "vitest";
import { checkAccessRules, compileAccessRules, type AccessControlInput, type AccessRequest } from "./access-rules.js";
import { compileDomainMatcher, hostMatchesPattern, isDomainPattern, normalizeHost } from "./domain-matcher.js";
import { compileNetworkMatcher, parseNetwork } from "./network-matcher.js";
import { compileResourceMatcher } from "./resource-matcher.js";
import { compileMethodMatcher } from "./method-matcher.js";
import { compileSubjectMatcher } from "./subject-matcher.js";

const request = (host: string, pathAndQuery = "/", method = "GET", clientAddress: string | null = "203.0.113.9"): AccessRequest => ({ host, pathAndQuery, method, clientAddress });
const alice = { email: "alice@example.test", groups: ["admins"] };
const bob = { email: "bob@example.test", groups: [] };

describe("domain matcher", () => {
	it.each([
		["app.example.test", "app.example.test", true],
		["app.example.test", "other.example.test", false],
		["*.example.test", "app.example.test", true],
		["*.example.test", "a.b.example.test", true],
		["*.example.test", "example.test", false],
		["*.example.test", "evilexample.test", false],
		["*.example.test", "app.example.test.evil.test", false],
	])("%s covers %s: %s", (pattern, host, expected) => {
		expect(hostMatchesPattern(pattern, host)).toBe(expected);
		expect(compileDomainMatcher([pattern])(host)).toBe(expected);
	});
	it.each([
		["App.Example.Test:8443", "app.example.test"],
		["app.example.test.", "app.example.test"],
		["[::1]:80", "::1"],
		["app example", null],
		["a/b", null],
		["", null],
	])("normalizes %j to %j", (header, host) => expect(normalizeHost(header)).toBe(host));
	it.each([
		["app.example.test", true],
		["*.example.test", true],
		["*.test", false],
		["*", false],
		["a.*.test", false],
		["App.example.test", false],
		["app.example.test:80", false],
	])("pattern %s valid: %s", (pattern, valid) => expect(isDomainPattern(pattern)).toBe(valid));
});

describe("other matchers", () => {
	it("resources are regular expressions on path and query; none means any", () => {
		const api = compileResourceMatcher(["^/api/"]);
		expect(api("/api/users?x=1")).toBe(true);
		expect(api("/app/api/")).toBe(false);
		expect(compileResourceMatcher([])("/anything")).toBe(true);
		expect(() => compileResourceMatcher(["("])).toThrow(SyntaxError);
	});
	it("methods compare upper case; none means any", () => {
		expect(compileMethodMatcher(["POST"])("post")).toBe(true);
		expect(compileMethodMatcher(["POST"])("GET")).toBe(false);
		expect(compileMethodMatcher([])("DELETE")).toBe(true);
	});
	it("networks are CIDRs or addresses; IPv4-mapped IPv6 counts as IPv4; unknown never matches", () => {
		const lan = compileNetworkMatcher(["192.168.0.0/16", "2001:db8::/32", "10.1.2.3"]);
		expect(lan("192.168.4.5")).toBe(true);
		expect(lan("::ffff:192.168.4.5")).toBe(true);
		expect(lan("2001:db8::1")).toBe(true);
		expect(lan("10.1.2.3")).toBe(true);
		expect(lan("10.1.2.4")).toBe(false);
		expect(lan(null)).toBe(false);
		expect(lan("not-an-ip")).toBe(false);
		expect(parseNetwork("10.0.0.0/33")).toBeNull();
		expect(parseNetwork("10.0.0.0/8/8")).toBeNull();
		expect(parseNetwork("example.test")).toBeNull();
	});
	it("subjects: any listed group or account (case-insensitive email); none means everyone", () => {
		expect(compileSubjectMatcher([], [])).toBeNull();
		const admins = compileSubjectMatcher(["admins"], ["Bob@Example.test"])!;
		expect(admins(alice)).toBe(true);
		expect(admins(bob)).toBe(true);
		expect(admins({ email: "carol@example.test", groups: ["users"] })).toBe(false);
	});
});

describe("access rules", () => {
	const config: AccessControlInput = {
		defaultPolicy: "deny",
		rules: [
			{ domains: ["public.example.test"], policy: "bypass" },
			{ domains: ["app.example.test"], policy: "one_factor" },
			{ domains: ["admin.example.test"], policy: "two_factor", groups: ["admins"], maxSecondFactorAgeSeconds: 300 },
			{ domains: ["*.example.test"], resources: ["^/api/"], methods: ["POST"], policy: "deny" },
			{ domains: ["*.example.test"], networks: ["10.0.0.0/8"], policy: "one_factor" },
		],
	};
	const rules = compileAccessRules(config);

	it("the first matching rule decides; none: the default policy", () => {
		expect(rules.decide(request("public.example.test"), null)).toMatchObject({ policy: "bypass", ruleIndex: 0 });
		expect(rules.decide(request("app.example.test"), null)).toMatchObject({ policy: "one_factor", ruleIndex: 1 });
		expect(rules.decide(request("other.example.test", "/api/x", "POST"), alice)).toMatchObject({ policy: "deny", ruleIndex: 3 });
		expect(rules.decide(request("other.example.test", "/api/x", "GET"), alice)).toMatchObject({ policy: "deny", ruleIndex: null });
		expect(rules.decide(request("other.example.test", "/", "GET", "10.2.3.4"), alice)).toMatchObject({ policy: "one_factor", ruleIndex: 4 });
		expect(rules.decide(request("elsewhere.test"), alice)).toMatchObject({ policy: "deny", ruleIndex: null });
	});
	it("a group rule: members get its policy and step-up age; others fall through; anonymous must sign in first", () => {
		expect(rules.decide(request("admin.example.test"), alice)).toEqual({ policy: "two_factor", ruleIndex: 2, maxSecondFactorAgeSeconds: 300, needsSubject: false });
		expect(rules.decide(request("admin.example.test"), bob)).toMatchObject({ policy: "deny", ruleIndex: null });
		expect(rules.decide(request("admin.example.test"), null)).toEqual({ policy: "one_factor", ruleIndex: 2, maxSecondFactorAgeSeconds: null, needsSubject: true });
	});
	it("rd targets: hosts of rules that are not deny", () => {
		expect(rules.coversHost("app.example.test")).toBe(true);
		expect(rules.coversHost("x.example.test")).toBe(true);
		expect(rules.coversHost("example.test")).toBe(false);
		expect(compileAccessRules({ defaultPolicy: "one_factor", rules: [{ domains: ["x.test"], policy: "deny" }] }).coversHost("x.test")).toBe(false);
	});
	it("refuses what the schema cannot: bad domains, regexes, methods, networks, a step-up age outside two_factor", () => {
		const problems = checkAccessRules({
			defaultPolicy: "deny",
			rules: [
				{ domains: ["*.test", "App.test"], resources: ["("], methods: ["FETCH"], networks: ["10.0.0.0/40"], policy: "one_factor", maxSecondFactorAgeSeconds: 60 },
				{ domains: [], policy: "deny" },
			],
		});
		expect(problems).toHaveLength(7);
		expect(problems[0]).toMatch(/^accessControl\.rules\[0\]\.domains\[0\]/);
		expect(problems.at(-1)).toMatch(/^accessControl\.rules\[1\]\.domains: name at least one/);
		expect(() => compileAccessRules({ defaultPolicy: "deny", rules: [{ domains: ["*"], policy: "bypass" }] })).toThrow(RangeError);
	});
	it("refuses a group that no account can ever be in, and says how to write one that is not normalized", () => {
		const problems = checkAccessRules({ defaultPolicy: "deny", rules: [{ domains: ["a.test"], groups: ["admins", "Ops", "no way", "ops.team"], policy: "one_factor" }] });
		expect(problems).toEqual([
			'accessControl.rules[0].groups[1]: "Ops" is not a group name as stored; write "ops"',
			'accessControl.rules[0].groups[2]: "no way" is not a group name (1 to 64 of a-z 0-9 . _ -, starting with a letter or digit), so no account can be in it',
		]);
		expect(() => compileAccessRules({ defaultPolicy: "deny", rules: [{ domains: ["a.test"], groups: ["Admins"], policy: "bypass" }] })).toThrow(RangeError);
	});
});

import { describe, expect, it } from "vitest";
import { normalizeEmail } from "./accounts.js";

describe("normalizeEmail", () => {
	it("keeps ordinary addresses, trimmed and lower-cased", () => {
		for (const [typed, stored] of [
			["  Ada@Example.COM ", "ada@example.com"],
			["first.last+tag@mail.example.co.uk", "first.last+tag@mail.example.co.uk"],
			["o'brien@example.com", "o'brien@example.com"],
			["user_name-1@sub-domain.example", "user_name-1@sub-domain.example"],
			["jörg@bücher.example", "jörg@bücher.example"],
		] as const) {
			expect(normalizeEmail(typed), typed).toBe(stored);
		}
	});

	it("refuses what a mail program could read as another recipient (a list, a display name, a comment, a quoted or bracketed part)", () => {
		for (const typed of [
			"attacker@evil.test,x.corp.example",
			"attacker@evil.test(x)corp.example",
			"a<b>@example.com",
			"x@exa<mple.com",
			'"a b"@example.com',
			"ada@[127.0.0.1]",
			"ada@example.com;b@example.com",
			"ada@example",
			"ada@-example.com",
			"ada@example-.com",
			".ada@example.com",
			"ada.@example.com",
			"a..da@example.com",
			"ada@exa mple.com",
			"ada:issuer@example.com",
			"ada@example.com\n",
			"ada\\@example.com",
		]) {
			expect(normalizeEmail(typed), JSON.stringify(typed)).toBeNull();
		}
	});
});

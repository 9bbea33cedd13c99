/** The rules of an OpenID Connect client's metadata (RFC 9700 §2.1, §4.1.1; OpenID Connect Core §3.1.2.1; RFC 8252 §7.3). */
import { describe, expect, it } from "vitest";
import { clientIdProblem, clientNameProblem, clientSecretProblem, clientUriProblem } from "./client-rules.js";

describe("clientUriProblem", () => {
	it("accepts https anywhere and plain http to the user's own machine only (RFC 8252 §7.3)", () => {
		for (const uri of ["https://app.example.com/cb", "https://app.example.com:8443/cb?x=1", "http://localhost/cb", "http://127.0.0.1:8080/cb", "http://[::1]:9/cb"]) expect(clientUriProblem(uri), uri).toBeNull();
	});

	it("refuses what is not an exact, absolute https redirect target", () => {
		expect(clientUriProblem("/relative")).toBe("is not an absolute URL");
		expect(clientUriProblem("https://app.example.com/cb#")).toBe("must not have a fragment (#)");
		expect(clientUriProblem("https://app.example.com/cb#x")).toBe("must not have a fragment (#)");
		expect(clientUriProblem("https://u:p@app.example.com/cb")).toBe("must not carry a user name or password");
		expect(clientUriProblem("http://app.example.com/cb")).toMatch(/must use https/);
		expect(clientUriProblem("http://127.0.0.2/cb")).toMatch(/must use https/);
		expect(clientUriProblem("http://localhost.example.com/cb")).toMatch(/must use https/);
		expect(clientUriProblem("javascript:alert(1)")).toBe("must be an https URL");
		expect(clientUriProblem("com.example.app:/cb")).toBe("must be an https URL");
		expect(clientUriProblem(`https://app.example.com/${"x".repeat(2_048)}`)).toMatch(/longer than 2048/);
	});
});

describe("clientIdProblem, clientNameProblem, clientSecretProblem", () => {
	it("a client_id is 1 to 64 of A-Z a-z 0-9 . _ -", () => {
		for (const id of ["grafana", "App_1.prod-2", "x".repeat(64)]) expect(clientIdProblem(id), id).toBeNull();
		for (const id of ["", "x".repeat(65), "has space", "a/b", "é", "a:b"]) expect(clientIdProblem(id), id).not.toBeNull();
	});

	it("a name has no control character", () => {
		expect(clientNameProblem("Team wiki (prod)")).toBeNull();
		for (const name of ["", "x".repeat(65), "bell\u0007", "line\nbreak", "c1\u0085"]) expect(clientNameProblem(name), JSON.stringify(name)).not.toBeNull();
	});

	it("a secret is 32 to 256 printable ASCII characters without spaces", () => {
		expect(clientSecretProblem("a".repeat(32))).toBeNull();
		for (const secret of ["a".repeat(31), "a".repeat(257), `${"a".repeat(32)} `, `${"a".repeat(32)}é`]) expect(clientSecretProblem(secret)).not.toBeNull();
	});
});

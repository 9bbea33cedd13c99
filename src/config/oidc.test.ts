import { describe, expect, it } from "vitest";
import { redactConfig } from "../cli/commands/config.js";
import { ConfigInvalid } from "../errors.js";
import { loadConfig } from "./load.js";
import { clientUriProblem } from "../domain/oidc/client-rules.js";

const SECRET = "s".repeat(32);
const CLIENT = { id: "wiki", secret: SECRET, redirectUris: ["https://wiki.example.com/callback"] };

function issuesOf(overrides: unknown, env: Record<string, string> = {}): string[] {
	try {
		loadConfig({ overrides, env });
	} catch (error) {
		expect(error).toBeInstanceOf(ConfigInvalid);
		return [...(error as ConfigInvalid).issues];
	}
	return [];
}

describe("oidc.clients (config/oidc.ts): checked strictly at start", () => {
	const withUrl = (clients: unknown[]) => ({ http: { publicUrl: "https://auth.example.com" }, oidc: { clients } });

	it("a valid client loads; defaults are no clients at all", () => {
		expect(issuesOf(withUrl([CLIENT]))).toEqual([]);
		expect(loadConfig().oidc.clients).toEqual([]);
	});

	it("needs http.publicUrl (the issuer)", () => {
		expect(issuesOf({ oidc: { clients: [CLIENT] } })).toEqual([expect.stringMatching(/^oidc\.clients: set http\.publicUrl/)]);
	});

	it("refuses a second client with the same id", () => {
		expect(issuesOf(withUrl([CLIENT, CLIENT]))).toEqual([expect.stringMatching(/oidc\.clients\[1\] \("wiki"\): the id is used by an earlier client/)]);
	});

	it("a confidential client needs a secret; a public one must have none", () => {
		expect(issuesOf(withUrl([{ id: "a", redirectUris: ["https://a.example.com/cb"] }]))).toEqual([expect.stringMatching(/needs secret .* or secretEnv/)]);
		expect(issuesOf(withUrl([{ ...CLIENT, public: true }]))).toEqual([expect.stringMatching(/a public client has no secret/)]);
		expect(issuesOf(withUrl([{ id: "spa", public: true, redirectUris: ["https://spa.example.com/cb"] }]))).toEqual([]);
		expect(issuesOf(withUrl([{ ...CLIENT, secret: "short" }]))).toEqual([expect.stringMatching(/oidc\.clients\.0\.secret|secret/)]);
	});

	it("reads secretEnv from the environment, refuses an unset or short one, and never both", () => {
		const client = { id: "env", secretEnv: "WIKI_SECRET", redirectUris: ["https://wiki.example.com/cb"] };
		expect(issuesOf(withUrl([client]))).toEqual([expect.stringMatching(/the environment variable WIKI_SECRET is not set/)]);
		expect(issuesOf(withUrl([client]), { WIKI_SECRET: "too short" })).toEqual([expect.stringMatching(/must be 32 to 256 printable ASCII characters/)]);
		expect(issuesOf(withUrl([{ ...client, secret: SECRET }]), { WIKI_SECRET: SECRET })).toEqual([expect.stringMatching(/set secret or secretEnv, not both/)]);
		const config = loadConfig({ overrides: withUrl([client]), env: { WIKI_SECRET: SECRET } });
		expect(config.oidc.clients[0]!.secret).toBe(SECRET);
		// `deadbolt config` never prints it.
		expect(JSON.stringify(redactConfig(config))).not.toContain(SECRET);
	});

	it("redirect URIs: absolute, no fragment, no credentials, https except to loopback", () => {
		expect(clientUriProblem("https://wiki.example.com/cb")).toBeNull();
		expect(clientUriProblem("http://127.0.0.1:3000/cb")).toBeNull();
		expect(clientUriProblem("http://localhost/cb")).toBeNull();
		expect(clientUriProblem("http://[::1]:8080/cb")).toBeNull();
		expect(clientUriProblem("http://wiki.example.com/cb")).toMatch(/must use https/);
		expect(clientUriProblem("/callback")).toMatch(/not an absolute URL/);
		expect(clientUriProblem("https://wiki.example.com/cb#x")).toMatch(/fragment/);
		expect(clientUriProblem("https://user:pw@wiki.example.com/cb")).toMatch(/user name or password/);
		expect(clientUriProblem("javascript:alert(1)")).toMatch(/https URL/);
		expect(issuesOf(withUrl([{ ...CLIENT, redirectUris: ["http://wiki.example.com/cb"], backchannelLogoutUri: "ftp://x.example.com" }]))).toEqual([
			expect.stringMatching(/redirectUris: "http:\/\/wiki\.example\.com\/cb" must use https/),
			expect.stringMatching(/backchannelLogoutUri: "ftp:\/\/x\.example\.com" must be an https URL/),
		]);
	});
});

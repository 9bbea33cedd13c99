import { describe, expect, it } from "vitest";
import { ambiguousPathReason, canonicalPath, decodedPath } from "./request-path.js";

describe("forward-auth request paths", () => {
	it("refuses a path that apps resolve differently from WHATWG URL parsing", () => {
		const refused: readonly (readonly [string, string])[] = [
			// Express routes these under /admin; WHATWG resolves them to /public/y.
			["/admin/../public/y", "dot_segment"],
			["/admin/./x", "dot_segment"],
			["/admin/%2e%2e/public/y", "dot_segment"],
			["/admin/.%2E/public/y", "dot_segment"],
			["/admin/%252e%252e/public/y", "dot_segment"],
			// Tomcat drops ;params before it resolves: /admin.
			["/public/..;/admin", "dot_segment"],
			// Go's path.Clean merges // first: /admin.
			["/public//../admin", "dot_segment"],
			// Decoded before resolved: /admin.
			["/public/%2e%2e%2fadmin", "dot_segment"],
			["/public/x/..%2F..%2Fadmin", "dot_segment"],
			// nginx passes \ on; WHATWG reads it as /.
			["/admin\\..\\public/y", "backslash"],
			["/admin/..%5cpublic/y", "backslash"],
			["/public#/../admin", "fragment"],
			["/public?x#y", "fragment"],
			["/pub\tlic/x", "control_character"],
		];
		for (const [path, reason] of refused) expect(ambiguousPathReason(path), path).toBe(reason);
	});

	it("lets every path a browser sends through, and dots in the query", () => {
		for (const path of ["", "/", "/public/x", "/.well-known/jwks.json", "/a/...", "/a..b/c.", "/api/v4/projects/group%2Fproject", "/a;jsessionid=1/b", "/public/x?a=/../../admin", "/%E2%82%AC", "/%zz/x"]) {
			expect(ambiguousPathReason(path), path).toBeNull();
		}
	});

	it("judges equivalent spellings of a path as one: unreserved escapes decoded, ;params dropped, // merged", () => {
		expect(canonicalPath("/%61dmin/%7Euser")).toBe("/admin/~user");
		expect(canonicalPath("/a%2Fb/%20c/%E2%82%AC")).toBe("/a%2Fb/%20c/%E2%82%AC");
		expect(canonicalPath("/admin;jsessionid=1/x;y=2")).toBe("/admin/x");
		expect(canonicalPath("//admin///x/")).toBe("/admin/x/");
		expect(canonicalPath("/")).toBe("/");
	});
	it("reads a path as an app that percent-decodes it before routing: ASCII escapes decoded (twice encoded too), other bytes kept", () => {
		expect(decodedPath("/admin%2Fx")).toBe("/admin/x");
		expect(decodedPath("/%2Fadmin%2f%2Fx")).toBe("/admin/x");
		expect(decodedPath("/admin%252Fx")).toBe("/admin/x");
		expect(decodedPath("/a%3Bb/c")).toBe("/a/c");
		expect(decodedPath("/%E2%82%AC/x")).toBe("/%E2%82%AC/x");
	});
});

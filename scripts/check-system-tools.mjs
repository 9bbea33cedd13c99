// Runs before `npm test`: the tests use real, independent tools (no mocks). Say clearly which
// one is missing and how to install it, instead of failing obscurely halfway through.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const TOOLS = [
	{ command: "oathtool", debian: "oathtool", why: "computes TOTP codes independently (interop and browser tests)" },
	{ command: "zbarimg", debian: "zbar-tools", why: "decodes our QR codes back to the key URI (interop test)" },
	{ command: "chromium", debian: "chromium", why: "the real browser of the end-to-end test", path: "/usr/bin/chromium" },
];

function found(tool) {
	const candidates = tool.path ? [tool.path] : (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, tool.command));
	return candidates.some((file) => {
		try {
			accessSync(file, constants.X_OK);
			return true;
		} catch {
			return false;
		}
	});
}

const missing = TOOLS.filter((tool) => !found(tool));
if (missing.length > 0) {
	console.error("deadbolt tests need these system tools, which are missing:");
	for (const tool of missing) console.error(`  - ${tool.command} (${tool.why}); Debian package: ${tool.debian}`);
	console.error(`Install them with:\n  sudo apt-get update && sudo apt-get install -y ${missing.map((t) => t.debian).join(" ")}`);
	process.exit(1);
}

import { defineConfig } from "vitest/config";

// One runner (vitest 4), several projects so each kind of test can be run alone:
//   npx vitest run --project unit
export default defineConfig({
	test: {
		projects: [
			{ test: { name: "unit", include: ["src/**/*.test.ts"] } },
			{ test: { name: "vectors", include: ["test/vectors/**/*.test.ts", "test/properties/**/*.test.ts"] } },
			{ test: { name: "storage", include: ["test/storage/**/*.test.ts"] } },
			// Sign-in flows run argon2id many times; on a loaded 2-core machine a loop of them takes seconds.
			{ test: { name: "service", include: ["test/service/**/*.test.ts"], testTimeout: 60_000 } },
			{ test: { name: "http", include: ["test/http/**/*.test.ts"], testTimeout: 60_000 } },
			{ test: { name: "cli", include: ["test/cli/**/*.test.ts"], testTimeout: 60_000 } },
			{ test: { name: "interop", include: ["test/interop/**/*.test.ts"], testTimeout: 60_000 } },
			// Real `deadbolt serve` processes on PostgreSQL: several instances, database faults, SIGKILL.
			{ test: { name: "instances", include: ["test/instances/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 } },
			// Mail and webhooks with real parts: an SMTP server process, a webhook receiver process, real `deadbolt serve` children.
			{ test: { name: "delivery", include: ["test/delivery/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 } },
			{ test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 } },
			{ test: { name: "meta", include: ["test/*.test.ts"] } },
			// The package tarball installed in an empty folder and run with npx (minutes: npm install may compile better-sqlite3).
			{ test: { name: "packaging", include: ["test/packaging/**/*.test.ts"], testTimeout: 300_000, hookTimeout: 2_400_000 } },
		],
	},
});

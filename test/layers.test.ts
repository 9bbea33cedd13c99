/**
 * The one-way import rule of DESIGN.md §3.1, checked over every file in src/: a reader always
 * knows where a line belongs. Zero dependencies: it reads import specifiers as text.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../src");

function files(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return files(path);
		return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
	});
}

interface Import {
	readonly specifier: string;
	readonly typeOnly: boolean;
	/** For relative imports: the target's path relative to src/. */
	readonly target: string | null;
}

function importsOf(file: string): Import[] {
	const text = readFileSync(file, "utf8");
	const found: Import[] = [];
	for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/gm)) {
		const specifier = match[2]!;
		const target = specifier.startsWith(".") ? relative(SRC, resolve(dirname(file), specifier)).replace(/\.js$/, ".ts") : null;
		found.push({ specifier, typeOnly: match[1] !== undefined, target });
	}
	for (const match of text.matchAll(/await import\(["']([^"']+)["']\)/g)) {
		const specifier = match[1]!;
		found.push({ specifier, typeOnly: false, target: specifier.startsWith(".") ? relative(SRC, resolve(dirname(file), specifier)).replace(/\.js$/, ".ts") : null });
	}
	return found;
}

/**
 * The cycles of the import graph of src/: its strongly connected components of more than one file
 * (Tarjan's algorithm), each as a sorted list of paths relative to src/.
 */
function importCycles(): string[][] {
	const graph = new Map<string, string[]>();
	for (const file of files(SRC)) {
		const targets = importsOf(file).flatMap((imp) => (imp.target === null ? [] : [imp.target]));
		graph.set(relative(SRC, file), [...new Set(targets)]);
	}
	const index = new Map<string, number>();
	const lowLink = new Map<string, number>();
	const stack: string[] = [];
	const onStack = new Set<string>();
	const cycles: string[][] = [];
	const visit = (node: string): void => {
		index.set(node, index.size);
		lowLink.set(node, index.get(node)!);
		stack.push(node);
		onStack.add(node);
		for (const next of graph.get(node) ?? []) {
			if (!graph.has(next)) continue;
			if (!index.has(next)) {
				visit(next);
				lowLink.set(node, Math.min(lowLink.get(node)!, lowLink.get(next)!));
			} else if (onStack.has(next)) {
				lowLink.set(node, Math.min(lowLink.get(node)!, index.get(next)!));
			}
		}
		if (lowLink.get(node) !== index.get(node)) return;
		const component: string[] = [];
		let member: string;
		do {
			member = stack.pop()!;
			onStack.delete(member);
			component.push(member);
		} while (member !== node);
		if (component.length > 1) cycles.push(component.sort());
	};
	for (const node of graph.keys()) if (!index.has(node)) visit(node);
	return cycles;
}

const layerOf = (path: string): string => (path.includes("/") ? path.split("/")[0]! : path.replace(/\.ts$/, ""));

/** What each layer may import (relative targets, by layer or file). */
const ALLOWED: Record<string, (target: string, typeOnly: boolean) => boolean> = {
	platform: (t) => layerOf(t) === "platform",
	domain: (t) => ["domain", "platform"].includes(layerOf(t)),
	storage: (t) => layerOf(t) === "storage" || layerOf(t) === "platform" || t === "errors.ts",
	// config/ checks what its schema cannot express with the pure rules of domain/ (access rules).
	config: (t) => ["config", "domain"].includes(layerOf(t)) || t === "errors.ts",
	service: (t, typeOnly) => ["service", "domain", "platform", "errors"].includes(layerOf(t)) || t === "storage/store.ts" || (typeOnly && t === "config/schema.ts"),
	http: (t, typeOnly) => ["http", "errors"].includes(layerOf(t)) || (typeOnly && ["deadbolt", "config", "service"].includes(layerOf(t))) || t === "service/deps.ts",
	dashboard: (t, typeOnly) => ["dashboard", "errors", "http"].includes(layerOf(t)) || (typeOnly && ["deadbolt", "config", "service"].includes(layerOf(t))),
	// oidc/ is the OpenID Connect provider's way in (DESIGN.md §3.10): it configures oidc-provider, renders through the dashboard's pages.
	oidc: (t, typeOnly) => ["oidc", "http", "dashboard", "errors"].includes(layerOf(t)) || (typeOnly && ["deadbolt", "config", "service"].includes(layerOf(t))),
	// app.ts assembles the ways in over HTTP (the API, the dashboard, the OpenID Connect provider), which never import it.
	app: (t, typeOnly) => ["http", "dashboard", "oidc", "errors"].includes(layerOf(t)) || (typeOnly && layerOf(t) === "deadbolt"),
	// delivery/ is the outbox's way out (DESIGN.md §3.10): it sends what service/outbox.ts queued.
	delivery: (t, typeOnly) => ["delivery", "service", "domain", "errors"].includes(layerOf(t)) || t === "storage/store.ts" || (typeOnly && t === "config/schema.ts"),
	cli: (t) => ["cli", "errors", "config", "deadbolt", "http", "app"].includes(layerOf(t)),
	errors: () => false,
	deadbolt: () => true,
	index: () => true,
};

/** Packages a layer may import besides node: built-ins. */
const PACKAGES: Record<string, RegExp> = {
	platform: /^$/,
	domain: /^@node-rs\/argon2$/,
	storage: /^(kysely(\/.*)?|better-sqlite3|pg)$/,
	config: /^@sinclair\/typebox(\/value)?$/,
	// prom-client: service/prometheus-metrics.ts, the Metrics port's adapter, whose scrape-time gauges read the store (only service/ calls it).
	service: /^(qrcode|bowser|@zxcvbn-ts\/language-common|jose|prom-client)$/,
	http: /^(fastify|fastify-plugin|@fastify\/.*|@sinclair\/typebox)$/,
	dashboard: /^(fastify|fastify-plugin|@fastify\/.*)$/,
	oidc: /^(oidc-provider|fastify|@fastify\/.*)$/,
	app: /^(fastify|@fastify\/.*)$/,
	delivery: /^(nodemailer(\/.*)?|standardwebhooks)$/,
	cli: /^(pino|pino-pretty|commander)$/,
	errors: /^$/,
	deadbolt: /.*/,
	index: /.*/,
};

describe("layers (DESIGN.md §3.1)", () => {
	for (const file of files(SRC)) {
		const path = relative(SRC, file);
		const layer = layerOf(path);
		it(`${path} imports only what the ${layer} layer may`, () => {
			expect(ALLOWED[layer], `unknown layer ${layer}`).toBeDefined();
			const bad = importsOf(file).filter((imp) => {
				// platform/ is importable by every layer (§3.1).
				if (imp.target !== null) return layerOf(imp.target) !== layer && layerOf(imp.target) !== "platform" && !ALLOWED[layer]!(imp.target, imp.typeOnly);
				if (imp.specifier.startsWith("node:")) return layer === "domain" && !["node:crypto", "node:net"].includes(imp.specifier) && !imp.typeOnly;
				return !PACKAGES[layer]!.test(imp.specifier) && !imp.typeOnly;
			});
			expect(bad.map((b) => b.specifier)).toEqual([]);
		});
	}

	it("no import cycle anywhere in src/, inside a layer or across layers (type-only imports count)", () => {
		expect(importCycles()).toEqual([]);
	});

	it("domain/ never sees storage, config, HTTP or errors", () => {
		for (const file of files(join(SRC, "domain"))) {
			for (const imp of importsOf(file)) {
				expect(imp.target === null || ["domain", "platform"].includes(layerOf(imp.target)), `${relative(SRC, file)} -> ${imp.specifier}`).toBe(true);
			}
		}
	});
});

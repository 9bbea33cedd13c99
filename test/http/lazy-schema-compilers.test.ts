import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { lazySchemaCompilers } from "../../src/http/lazy-schema-compilers.js";

describe("lazy schema compilers (issue 15)", () => {
	it("validate and serialize as Fastify's defaults do, and refuse a request header schema at start", async () => {
		const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers() } });
		app.post("/echo", { schema: { body: { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false }, response: { 200: { type: "object", properties: { n: { type: "integer" } } } } } }, async (request) => ({ ...(request.body as object), secret: "dropped" }));
		const refused = await app.inject({ method: "POST", url: "/echo", payload: { n: "x" } });
		expect(refused.statusCode).toBe(400);
		expect(refused.json()).toMatchObject({ code: "FST_ERR_VALIDATION", message: "body/n must be integer" });
		const echoed = await app.inject({ method: "POST", url: "/echo", payload: { n: 1 } });
		expect(echoed.body).toBe('{"n":1}');
		await app.close();

		const withHeaders = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers() } });
		withHeaders.get("/h", { schema: { headers: { type: "object", properties: { "X-Key": { type: "string" } } } } }, async () => "ok");
		await expect(withHeaders.ready()).rejects.toThrow(/request header schemas/);
	});
});

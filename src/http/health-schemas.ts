/**
 * The schemas of `GET /healthz` and `GET /readyz` (routes of `app.ts`): what the OpenAPI document
 * says of them, and the allow-lists their answers are serialized by.
 */
import { Type } from "@sinclair/typebox";
import { errorResponses } from "./openapi/error-responses.js";

/** `GET /healthz` in the OpenAPI document (its answer is serialized by it). */
export const HEALTH_SCHEMA = {
	summary: "Liveness",
	description: "200 while the process runs (it asks nothing of the database).",
	tags: ["operations"],
	security: [],
	response: { 200: Type.Object({ status: Type.Literal("ok") }, { additionalProperties: false, description: "The process runs." }) },
};

/** `GET /readyz` in the OpenAPI document. */
export const READY_SCHEMA = {
	summary: "Readiness",
	description: "200 while the database answers; 503 `ERR_STORAGE_UNAVAILABLE` with `Retry-After: 5` when not (ready again by itself once it is back).",
	tags: ["operations"],
	security: [],
	response: { 200: Type.Object({ status: Type.Literal("ready") }, { additionalProperties: false, description: "The database answers." }), ...errorResponses([]) },
};

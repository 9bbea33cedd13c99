/**
 * `GET /.well-known/jwks.json`: deadbolt's JWK Set (RFC 7517 §5), the public keys a
 * `Remote-Assertion` verifies against (docs/integrations/assertion.md). Public, no session; its
 * clients may cache it for {@link JWKS_MAX_AGE_SECONDS} (`http/plugins/security-headers.ts`).
 * The response schema is the allow-list: only public members of a key can leave.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { errorResponses } from "../openapi/error-responses.js";
import type { RouteOptions } from "./context.js";

/** The path of the JWK Set. */
export const JWKS_PATH = "/.well-known/jwks.json";

/** How long clients may cache the JWK Set, in seconds (`Cache-Control: public, max-age=300`). */
export const JWKS_MAX_AGE_SECONDS = 300;

/** A public EC signing key (RFC 7517 §4, RFC 7518 §6.2.1): no private member (`d`) is in the schema, so none can be sent. */
const PublicJWKSchema = Type.Object(
	{
		kty: Type.String(),
		crv: Type.String(),
		x: Type.String(),
		y: Type.String(),
		kid: Type.String(),
		alg: Type.String(),
		use: Type.Literal("sig"),
	},
	{ additionalProperties: false },
);

/** The JWK Set route (public). */
export const wellKnownRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt }) => {
	app.get(JWKS_PATH, {
			schema: {
				summary: "Signing keys (JWK Set)",
				description: "The public keys a forward-auth `Remote-Assertion` verifies against (RFC 7517 §5). Cacheable for 5 minutes.",
				tags: ["operations"],
				security: [],
				response: { 200: Type.Object({ keys: Type.Array(PublicJWKSchema) }, { additionalProperties: false, description: "The JWK Set." }), ...errorResponses([]) },
			},
		}, async () => {
		const { keys } = await deadbolt.publicJWKS();
		return { keys: [...keys] };
	});
};

/**
 * Fastify's own schema compilers (Ajv for the request, fast-json-stringify for the response),
 * compiled on a route's first use instead of at start (issue 15: compiling the ~500 schemas of
 * every route at `ready()` took most of the start's CPU time, and their code and Ajv instances
 * some 30 MB of memory, for routes most deployments never call). The functions compiled are
 * the ones Fastify compiles by default, with the same options, so what is accepted, refused
 * and sent is the same; a route pays its compilation (a few milliseconds) on its first request.
 *
 * One difference Fastify makes for any validator compiler that is not its default one: request
 * header schemas are no longer lower-cased. deadbolt declares none; {@link lazyValidatorFactory}
 * refuses one at start, so adding one fails loudly instead of validating the wrong names.
 */
import AjvCompiler from "@fastify/ajv-compiler";
import SerializerSelector from "@fastify/fast-json-stringify-compiler";

type ValidatorFactory = AjvCompiler.BuildCompilerFromPool;
type ValidatorCompiler = ReturnType<ValidatorFactory>;
type Validator = ReturnType<ValidatorCompiler>;
type SerializerFactory = SerializerSelector.SerializerFactory;

/** The schema compilers of `buildApp`'s `schemaController.compilersFactory` (Fastify's option). */
export interface LazySchemaCompilers {
	readonly buildValidator: ValidatorFactory;
	readonly buildSerializer: SerializerFactory;
}

/**
 * Fastify's default validator factory (`@fastify/ajv-compiler`, one Ajv per set of shared schemas
 * and options), whose validators compile on their first call.
 * @throws Error (when the app is made ready, so the start fails) for a schema of request headers, which Fastify
 *   lower-cases only for its default compiler
 */
function lazyValidatorFactory(): ValidatorFactory {
	const build = AjvCompiler();
	return (externalSchemas, options) => {
		let compile: ValidatorCompiler | null = null;
		return (route) => {
			if (route.httpPart === "headers") throw new Error(`${route.method ?? ""} ${route.url ?? ""}: request header schemas are not supported by deadbolt's lazy schema compiler (Fastify would not lower-case their names)`);
			let compiled: Validator | null = null;
			const get = (): Validator => {
				// The Ajv instance too is made on the first validation of any route.
				compile ??= build(externalSchemas, options);
				compiled ??= compile(route);
				return compiled;
			};
			const validate = ((data: unknown, context?: Parameters<Validator>[1]) => (context === undefined ? get()(data) : get()(data, context))) as Validator;
			Object.defineProperty(validate, "errors", { get: () => get().errors });
			Object.defineProperty(validate, "schemaEnv", { get: () => get().schemaEnv });
			return validate;
		};
	};
}

/** Fastify's default serializer factory (`@fastify/fast-json-stringify-compiler`), whose serializers compile on their first call. */
function lazySerializerFactory(): SerializerFactory {
	const build = SerializerSelector();
	return (externalSchemas, options) => {
		const compile = build(externalSchemas, options);
		return (route) => {
			let compiled: SerializerSelector.Serializer | null = null;
			return (data) => (compiled ??= compile(route))(data);
		};
	};
}

/** Fresh lazy compilers for one Fastify instance. */
export function lazySchemaCompilers(): LazySchemaCompilers {
	return { buildValidator: lazyValidatorFactory(), buildSerializer: lazySerializerFactory() };
}

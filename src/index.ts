/**
 * deadbolt's public surface for embedding: build the service and its HTTP app in your own
 * process. Everything else is internal.
 */
export { createDeadbolt, type Deadbolt, type DeadboltOverrides } from "./deadbolt.js";
export { buildApp, type BuildAppOptions } from "./app.js";
export { loadConfig, type LoadConfigOptions } from "./config/load.js";
export type { Config } from "./config/schema.js";
export { DEFAULT_CONFIG } from "./config/defaults.js";
export * from "./errors.js";
export type { Clock, UnixMillis } from "./platform/clock.js";
export type { RandomSource } from "./platform/random.js";
export type { Logger } from "./platform/logger.js";

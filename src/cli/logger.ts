/**
 * The process logger: pino (Fastify's own), JSON lines on stdout, with deadbolt's redaction of
 * passwords, codes, tokens, secrets and cookies (OWASP ASVS 5.0 §16.2.5).
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import type { Config } from "../config/schema.js";
import { REDACT_PATHS } from "../platform/logger.js";

/**
 * Creates the process logger at the configured level.
 * @param destination - where the JSON lines go; default stdout
 */
export function createProcessLogger(config: Config, destination?: DestinationStream): PinoLogger {
	const options = {
		level: config.log.level,
		redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
		base: { service: "deadbolt" },
		timestamp: pino.stdTimeFunctions.isoTime,
	};
	return destination === undefined ? pino(options) : pino(options, destination);
}

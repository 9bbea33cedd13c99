/**
 * `GET /metrics`: Prometheus metrics in the text exposition format (docs/metrics.md). Registered
 * only when `metrics.enabled` is true. A client outside `metrics.allowedNetworks` gets exactly the
 * 404 of a path that does not exist, so nobody outside learns whether metrics are on. The client
 * is `request.ip`: the socket's address, or the address a proxy of `http.trustedProxies` names in
 * `X-Forwarded-For` (Fastify `trustProxy`), never a header from anyone else.
 */
import type { FastifyPluginAsync } from "fastify";
import type { MetricsEndpoint } from "../../service/metrics-endpoint.js";

/** Options of {@link metricsRoutes}. */
export interface MetricsRouteOptions {
	/** `Deadbolt.metricsEndpoint`. */
	readonly endpoint: MetricsEndpoint;
}

/** The path Prometheus scrapes (its default `metrics_path`). */
export const METRICS_PATH = "/metrics";

/** The `/metrics` route. */
export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, { endpoint }) => {
	app.get(METRICS_PATH, { config: { sessionless: true } }, async (request, reply) => {
		if (!endpoint.allowsClient(request.ip)) {
			request.log.info({ event: "metrics.client_refused", client: request.ip, peer: request.socket.remoteAddress }, "/metrics asked by a client outside metrics.allowedNetworks (answered 404)");
			return reply.callNotFound();
		}
		const scrape = await endpoint.scrape();
		return reply.status(200).header("content-type", scrape.contentType).header("cache-control", "no-store").send(scrape.text);
	});
};

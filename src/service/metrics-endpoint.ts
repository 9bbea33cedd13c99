/**
 * Who may read `/metrics` (`metrics.allowedNetworks`, docs/metrics.md): the client's address, as
 * the HTTP layer resolved it, is inside one of the listed networks. That address is the socket's
 * peer, except when the peer is one of `http.trustedProxies`: then it is the client that proxy
 * names in `X-Forwarded-For` (Fastify's `request.ip`). So a forged `X-Forwarded-For` from anyone
 * else changes nothing, and a public client reaching deadbolt through a trusted proxy on loopback
 * is judged as the public client it is, not as the proxy. An empty list lets nobody in.
 */
import { compileNetworkMatcher } from "../domain/access/network-matcher.js";
import type { MetricsScrape } from "./prometheus-metrics.js";

/** The `/metrics` endpoint's two questions. */
export interface MetricsEndpoint {
	/**
	 * Whether a client at `clientAddress` may read the metrics (an IPv4-mapped IPv6 address counts
	 * as its IPv4 address); false for null or anything that is not an address.
	 */
	allowsClient(clientAddress: string | null): boolean;
	/** Renders every metric (`PrometheusMetrics.scrape`). */
	scrape(): Promise<MetricsScrape>;
}

/**
 * The test of `metrics.allowedNetworks`.
 * @param allowedNetworks - CIDRs or single addresses, each valid (checked by `loadConfig`)
 * @returns true when the address is inside one of them; always false for an empty list
 * @throws RangeError for an entry that is not a network (a config built without `loadConfig`)
 */
export function metricsClientMatcher(allowedNetworks: readonly string[]): (clientAddress: string | null) => boolean {
	// compileNetworkMatcher lets everyone through an empty list (an access rule without networks); here that means nobody.
	if (allowedNetworks.length === 0) return () => false;
	return compileNetworkMatcher(allowedNetworks);
}

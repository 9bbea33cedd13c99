/**
 * The part of autocannon 9's programmatic API that `bench/http.ts` uses (autocannon ships no
 * types; `@types/autocannon` describes 7.x). See node_modules/autocannon/README.md.
 */
declare module "autocannon" {
	/** A request as autocannon builds it; `setupRequest` returns a changed copy. */
	export interface RequestShape {
		method?: string;
		path?: string;
		headers?: Record<string, string>;
		body?: string;
	}

	/** One entry of `requests`: each connection loops over the array, with a context of its own. */
	export interface RequestSpec extends RequestShape {
		setupRequest?: (request: RequestShape, context: Record<string, unknown>) => RequestShape | null;
		onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
	}

	export interface Options {
		url: string;
		connections?: number;
		pipelining?: number;
		/** Seconds (ignored when `amount` is set). */
		duration?: number;
		/** Requests in all, divided among the connections. */
		amount?: number;
		/** Milliseconds between samples (default 1000); an `amount` run ends at the next sample. */
		sampleInt?: number;
		/** Seconds before a request counts as timed out. */
		timeout?: number;
		method?: string;
		headers?: Record<string, string>;
		body?: string;
		requests?: RequestSpec[];
	}

	/** hdr-histogram-percentiles-obj. */
	export interface Histogram {
		average: number;
		mean: number;
		stddev: number;
		min: number;
		max: number;
		total: number;
		p50: number;
		p90: number;
		p99: number;
		p99_9: number;
	}

	export interface Result {
		latency: Histogram;
		requests: Histogram & { sent: number };
		/** Seconds, to 10 ms. */
		duration: number;
		errors: number;
		timeouts: number;
		non2xx: number;
		statusCodeStats: Record<string, { count: number }>;
	}

	export interface Instance extends PromiseLike<Result> {
		stop(): void;
		/** Every answer; `responseTime` in milliseconds (fractional). */
		on(event: "response", listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
	}

	function autocannon(options: Options): Instance;
	export default autocannon;
}

import { describe, expect, it } from "vitest";
import { createPrometheusMetrics } from "./prometheus-metrics.js";

const SILENT = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => SILENT };

describe("createPrometheusMetrics", () => {
	it("writes a NaN value as the text format spells it (a scrape right after the start: the event-loop lag has no sample yet)", async () => {
		const metrics = createPrometheusMetrics({ outboxBacklog: async () => [], logger: SILENT });
		try {
			const { text } = await metrics.scrape();
			expect(text).toMatch(/^nodejs_eventloop_lag_mean_seconds NaN$/m);
			expect(text).not.toMatch(/ Nan$/m);
		} finally {
			metrics.close();
		}
	});
});

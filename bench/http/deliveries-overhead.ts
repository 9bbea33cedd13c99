/**
 * What mail and webhooks cost a sign-in (issue 11, "Done when"): full sign-ins (password + code)
 * against two deadbolt servers side by side, each running its outbox dispatcher as `serve` does:
 * one with the default configuration (no webhook endpoint, no verified address: nothing is
 * queued), one with mail on (addresses verified, `.eml` files) and a webhook endpoint subscribed to
 * every event (`["*"]`, a receiver in the driver's process answering 204). Two kinds of sign-in on
 * the second:
 *   - from a device the account knows (the User-Agent its account was created with): what a
 *     sign-in usually is; it queues one webhook message (`login.succeeded`) and no mail;
 *   - from a new device each time (no User-Agent): the worst case; it queues the webhook message
 *     and a "new sign-in" alert mail.
 * Rounds alternate (off, known, new, off, known, new, ...); each ratio is the median over the
 * rounds of (rate ÷ the "off" rate of the same round), which cancels slow drift. Deliveries are
 * queued in the sign-in's transaction and sent by the dispatcher after the commit.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { startBenchServer } from "./child-server.js";
import { loginLoad, median, rate, type LoadSettings, type Run } from "./load.js";
import { BENCH_USER_AGENT } from "./protocol.js";

/** One round's runs: without deliveries, with them from a known device, with them from a new device. */
export interface OverheadRound {
	readonly off: Run;
	readonly on: Run;
	readonly onNewDevice: Run;
}

/** What the comparison gave for one database. */
export interface DeliveriesOverhead {
	readonly rounds: readonly OverheadRound[];
	/** Median over the rounds of (sign-ins from a known device with deliveries ÷ sign-ins without). */
	readonly ratio: number;
	/** The same for sign-ins from a new device each time (an alert mail each). */
	readonly newDeviceRatio: number;
	/** Webhook messages the receiver got while it ran. */
	readonly webhooksReceived: number;
}

/** A webhook receiver that answers 204 at once and counts. */
async function startReceiver(): Promise<{ server: Server; port: number; received(): number }> {
	let count = 0;
	const server = createServer((request, response) => {
		request.resume();
		request.on("end", () => {
			count++;
			response.writeHead(204).end();
		});
	});
	await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
	const address = server.address();
	if (address === null || typeof address === "string") throw new Error("receiver has no port");
	return { server, port: address.port, received: () => count };
}

/**
 * Measures sign-ins without and with deliveries, `rounds` alternating pairs of `perRound` sign-ins.
 * @param databases - for the server without and the one with deliveries (null: SQLite in its own directory); never the same PostgreSQL database (each dispatcher would take the other's deliveries)
 */
export async function measureDeliveriesOverhead(
	settings: LoadSettings,
	options: { readonly script: string; readonly workDir: string; readonly databases: readonly [string | null, string | null]; readonly rateLimitPerMinute: number; readonly rounds: number; readonly perRound: number; readonly warmup: number },
): Promise<DeliveriesOverhead> {
	const receiver = await startReceiver();
	const base = { rateLimit: { perMinute: options.rateLimitPerMinute } };
	const withDeliveries = {
		...base,
		webhooks: { endpoints: [{ url: `http://127.0.0.1:${receiver.port}/deadbolt`, events: ["*"], secret: `whsec_${randomBytes(32).toString("base64")}` }] },
		email: { transport: "file" },
	};
	const off = await startBenchServer(options.script, join(options.workDir, "off"), options.databases[0], base);
	const on = await startBenchServer(options.script, join(options.workDir, "on"), options.databases[1], withDeliveries);
	try {
		const count = options.warmup + options.rounds * options.perRound;
		const offSeeded = await off.call({ type: "seed", secondStep: 0, logins: count }, "seeded");
		const onSeeded = await on.call({ type: "seed", secondStep: 0, logins: 2 * count, verified: true }, "seeded");
		const known = onSeeded.logins.slice(0, count);
		const fresh = onSeeded.logins.slice(count);
		await loginLoad(settings, off.port, offSeeded.logins.slice(0, options.warmup), BENCH_USER_AGENT);
		await loginLoad(settings, on.port, known.slice(0, options.warmup), BENCH_USER_AGENT);
		await loginLoad(settings, on.port, fresh.slice(0, options.warmup));
		const rounds: OverheadRound[] = [];
		for (let round = 0; round < options.rounds; round++) {
			const slice = (items: typeof offSeeded.logins) => items.slice(options.warmup + round * options.perRound, options.warmup + (round + 1) * options.perRound);
			const offRun = await loginLoad(settings, off.port, slice(offSeeded.logins), BENCH_USER_AGENT);
			const onRun = await loginLoad(settings, on.port, slice(known), BENCH_USER_AGENT);
			const onNewDevice = await loginLoad(settings, on.port, slice(fresh));
			rounds.push({ off: offRun, on: onRun, onNewDevice });
		}
		return {
			rounds,
			ratio: median(rounds.map((round) => rate(round.on) / rate(round.off))),
			newDeviceRatio: median(rounds.map((round) => rate(round.onNewDevice) / rate(round.off))),
			webhooksReceived: receiver.received(),
		};
	} finally {
		await off.stop();
		await on.stop();
		await new Promise<void>((done) => receiver.server.close(() => done()));
	}
}

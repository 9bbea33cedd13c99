/**
 * The outbox dispatcher (DESIGN.md §3.10; docs/email.md, "Retries"): one per `deadbolt serve`
 * process. It sends mails, webhook messages and OpenID Connect back-channel logouts. It claims due deliveries under a lease (of several processes on one database, each row
 * goes to one), sends them a few at a time, and settles each: delivered, pending again after a
 * backoff, or dead after `outbox.maxAttempts`. Sending happens only here, never in a request: a
 * slow mail server or receiver delays its own messages, not a sign-in. A process killed mid-send
 * leaves a lease that expires, and another dispatcher (or this one after a restart) sends again
 * with the same id (at least once).
 */
import { generateId } from "../domain/crypto/token.js";
import type { ServiceDeps } from "../service/deps.js";
import { BACKCHANNEL_LOGOUT_KIND } from "../service/oidc-logout.js";
import type { DeliveryRecord } from "../storage/store.js";
import { sendBackchannelLogout } from "./backchannel-logout-sender.js";
import { composeMail, type MailSettings } from "./compose-mail.js";
import { describeFailure, PermanentFailure } from "./delivery-failure.js";
import type { Mailer } from "./mail.js";
import { afterFailure } from "./retry-schedule.js";
import { sendWebhookDelivery } from "./webhook-sender.js";

/** Deliveries sent at once by one process (and claimed at once, so none waits out its lease unsent). */
export const DISPATCH_CONCURRENCY = 16;

/**
 * How long a wake waits before it looks, in milliseconds: the deliveries of the commits of that
 * moment are then claimed together (one claim for many sign-ins under load, not one each).
 */
export const WAKE_DELAY_MS = 50;

/** What the dispatcher sends with. */
export interface DispatcherOptions {
	readonly mailer: Mailer;
	readonly mail: MailSettings;
	/** Deliveries sent at once; default {@link DISPATCH_CONCURRENCY}. */
	readonly concurrency?: number;
}

/** A running (or not yet started) dispatcher. */
export interface Dispatcher {
	/** This process's lease owner id (random). */
	readonly owner: string;
	/** Starts polling every `outbox.pollIntervalMillis`; the first look is at once. */
	start(): void;
	/** Looks for due deliveries soon (after a transaction that queued some), instead of at the next poll. */
	wake(): void;
	/**
	 * Claims one batch of due deliveries and sends it (tests with a fixed clock call this directly).
	 * @returns how many were claimed
	 */
	runOnce(): Promise<number>;
	/** Stops polling and waits for the sends under way to be settled; closes the mailer. */
	stop(): Promise<void>;
}

/** The longest one attempt may take, in milliseconds: half the lease, so it is settled before another process may take the row over. */
export function attemptDeadlineMillis(deps: ServiceDeps): number {
	return Math.floor((deps.config.outbox.leaseSeconds * 1000) / 2);
}

/** Rejects when `work` has not settled within `millis`. */
function withDeadline<T>(work: Promise<T>, millis: number): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(Object.assign(new Error(`attempt not done within ${millis} ms`), { code: "ETIMEDOUT" })), millis);
	});
	return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Creates the dispatcher of this process. */
export function createDispatcher(deps: ServiceDeps, options: DispatcherOptions): Dispatcher {
	const { store, clock, config, random } = deps;
	const logger = deps.logger.child({ component: "outbox" });
	const owner = `dispatcher-${generateId(random)}`;
	const concurrency = options.concurrency ?? DISPATCH_CONCURRENCY;
	const deadline = attemptDeadlineMillis(deps);
	const webhookTimeout = Math.min(config.webhooks.timeoutSeconds * 1000, deadline);

	const send = async (delivery: DeliveryRecord): Promise<string> => {
		// A back-channel logout is an HTTP POST to an app (channel "webhook"), not a Standard Webhooks message.
		if (delivery.kind === BACKCHANNEL_LOGOUT_KIND) return sendBackchannelLogout(deps, delivery, webhookTimeout);
		if (delivery.channel === "webhook") return sendWebhookDelivery(deps, delivery, webhookTimeout);
		return options.mailer.send(await composeMail(deps, delivery, options.mail));
	};

	const attempt = async (delivery: DeliveryRecord): Promise<void> => {
		const number = delivery.attempts + 1;
		const startedAt = clock.now();
		const started = performance.now();
		let detail: string;
		let outcome: "delivered" | "failed";
		let permanent = false;
		try {
			detail = await withDeadline(send(delivery), deadline);
			outcome = "delivered";
		} catch (error) {
			detail = describeFailure(error);
			outcome = "failed";
			permanent = error instanceof PermanentFailure;
		}
		const now = clock.now();
		const after = outcome === "delivered" ? null : afterFailure(number, now, { maxAttempts: config.outbox.maxAttempts, minMillis: config.outbox.retryMinMillis, permanent }, random);
		const status = after === null ? "delivered" : after.status;
		const settled = await store.outbox.settleDelivery(
			delivery.id,
			owner,
			{ status, nextAttemptAt: after !== null && after.status === "pending" ? after.nextAttemptAt : now, lastError: outcome === "delivered" ? null : detail, deliveredAt: outcome === "delivered" ? now : null },
			{ id: generateId(random), deliveryId: delivery.id, attemptedAt: startedAt, outcome, detail, durationMillis: Math.round(performance.now() - started) },
		);
		// One line per attempt: the id, kind and channel, never the address, URL, token or payload.
		const fields = { event: "outbox.attempt", deliveryId: delivery.id, channel: delivery.channel, kind: delivery.kind, attempt: number, outcome: settled ? status : "lease_lost", detail };
		if (!settled) logger.warn(fields, "delivery attempt finished after its lease was taken over: another dispatcher settles it");
		else if (status === "delivered") logger.info(fields, `${delivery.channel} delivery ${delivery.id} delivered (attempt ${number})`);
		else if (status === "dead") logger.error(fields, `${delivery.channel} delivery ${delivery.id} is dead after attempt ${number}: ${detail}`);
		else logger.warn({ ...fields, nextAttemptAt: new Date(after !== null && after.status === "pending" ? after.nextAttemptAt : now).toISOString() }, `${delivery.channel} delivery ${delivery.id} failed (attempt ${number}): ${detail}`);
	};

	const runOnce = async (): Promise<number> => {
		const now = clock.now();
		const claimed = await store.outbox.claimDueDeliveries(owner, now, now + config.outbox.leaseSeconds * 1000, concurrency);
		await Promise.all(claimed.map((delivery) => attempt(delivery)));
		return claimed.length;
	};

	let started = false;
	let stopped = false;
	let timer: ReturnType<typeof setTimeout> | null = null;
	let running: Promise<void> | null = null;
	let wakeRequested = false;

	const cycle = async (): Promise<void> => {
		// A full batch may mean more are due; a wake during a batch asks for one more look.
		let claimed: number;
		do {
			wakeRequested = false;
			claimed = await runOnce();
			// A wake during the batch: let that moment's commits gather before the next claim.
			if (!stopped && claimed < concurrency && wakeRequested) await new Promise((done) => setTimeout(done, WAKE_DELAY_MS));
		} while (!stopped && (claimed === concurrency || wakeRequested));
	};
	/** When the scheduled look runs (`performance.now()` time, for {@link Dispatcher.wake} only). */
	let nextLookAt = 0;
	const schedule = (delay: number): void => {
		if (stopped || running !== null) return;
		if (timer !== null) clearTimeout(timer);
		nextLookAt = performance.now() + delay;
		timer = setTimeout(() => {
			timer = null;
			running = cycle()
				.catch((error: unknown) => logger.warn({ event: "outbox.poll_failed", err: describeFailure(error) }, `looking for due deliveries failed: ${describeFailure(error)}`))
				.finally(() => {
					running = null;
					schedule(config.outbox.pollIntervalMillis);
				});
		}, delay);
	};

	return {
		owner,
		start() {
			if (started) return;
			started = true;
			schedule(0);
		},
		wake() {
			if (!started || stopped) return;
			if (running !== null) wakeRequested = true;
			else if (timer === null || nextLookAt > performance.now() + WAKE_DELAY_MS) schedule(WAKE_DELAY_MS);
		},
		runOnce,
		async stop() {
			stopped = true;
			if (timer !== null) clearTimeout(timer);
			timer = null;
			await running;
			options.mailer.close();
		},
	};
}


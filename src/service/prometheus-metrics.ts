/**
 * The {@link Metrics} port over `prom-client`: counters and histograms in a registry of this
 * deadbolt's own (never prom-client's global one, so two deadbolts in one process do not mix),
 * plus prom-client's default process metrics, rendered in the Prometheus text format for
 * `/metrics` (docs/metrics.md lists every metric).
 *
 * Cheap on the hot paths (sign-in, code step, session check, forward-auth): each label
 * combination's child is made once, here, so recording is one property lookup and an addition;
 * no label string is built per request. The outbox gauges are read when Prometheus scrapes (one
 * grouped query per scrape), never on a request.
 *
 * Lives in service/ because its scrape-time gauges read the store (`outbox-backlog.ts`), which
 * only service/ calls; `deadbolt.ts` creates it when `metrics.enabled` is true.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Logger } from "../platform/logger.js";
import {
	DATABASE_OPERATIONS,
	FORWARD_AUTH_DECISIONS,
	HASH_OPERATIONS,
	LOCKOUT_FACTORS,
	SECOND_FACTOR_METHODS,
	SECOND_FACTOR_OUTCOMES,
	SECOND_FACTOR_PURPOSES,
	SIGN_IN_OUTCOMES,
	type DatabaseOperation,
	type ForwardAuthDecision,
	type HashOperation,
	type LockoutFactor,
	type Metrics,
	type SecondFactorMethod,
	type SecondFactorOutcome,
	type SecondFactorPurpose,
	type SignInOutcome,
} from "../platform/metrics.js";
import type { ChannelBacklog } from "./outbox-backlog.js";

/** Histogram buckets of request-scale durations (forward-auth), in seconds: 1 ms to 2.5 s. */
export const REQUEST_BUCKETS_SECONDS: readonly number[] = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
/** Histogram buckets of database durations, in seconds: 0.1 ms to 5 s. */
export const DATABASE_BUCKETS_SECONDS: readonly number[] = Object.freeze([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
/** Histogram buckets of the argon2id queue wait, in seconds: 0 (a free slot) to 15 s (`ATTEMPT_WAIT_MAX_MS`). */
export const HASH_WAIT_BUCKETS_SECONDS: readonly number[] = Object.freeze([0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15]);

/** One rendering of the registry. */
export interface MetricsScrape {
	/** `text/plain; version=0.0.4; charset=utf-8`: the Prometheus text exposition format. */
	readonly contentType: string;
	readonly text: string;
}

/** The Prometheus metrics of one deadbolt. */
export interface PrometheusMetrics extends Metrics {
	/**
	 * Reads the outbox backlog (one query; when it fails, the outbox gauges are left out of this
	 * scrape and a warning is logged) and renders every metric. Never throws for the database.
	 */
	scrape(): Promise<MetricsScrape>;
	/** Empties the registry (`Deadbolt.close`). */
	close(): void;
}

/** What {@link createPrometheusMetrics} reads at each scrape. */
export interface PrometheusMetricsOptions {
	/** The outbox backlog (`outbox-backlog.ts`); throws when the database cannot be read. */
	readonly outboxBacklog: () => Promise<readonly ChannelBacklog[]>;
	/** Where a failed backlog read is logged. */
	readonly logger: Logger;
}

type Child = { inc(): void };
type Observer = { observe(value: number): void };

/** The child of `counter` for `labels`, its series shown at 0 until counted (prom-client shows a series from its first increment). */
function startAtZero<L extends string>(counter: Counter<L>, labels: Partial<Record<L, string>>): Child {
	counter.inc(labels, 0);
	return counter.labels(labels);
}

/** A record of `make(value)` for every value of `values`. */
function each<K extends string, V>(values: readonly K[], make: (value: K) => V): Record<K, V> {
	return Object.fromEntries(values.map((value) => [value, make(value)])) as Record<K, V>;
}

/**
 * Creates the registry and its metrics; every label combination of a closed list starts at 0, so
 * `rate()` and alerts see a series from the first scrape.
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions): PrometheusMetrics {
	const registry = new Registry();
	const registers = [registry];
	collectDefaultMetrics({ register: registry });

	const signIns = new Counter({ name: "deadbolt_sign_ins_total", help: "Password steps of sign-ins (API and dashboard), by outcome.", labelNames: ["outcome"], registers });
	const signInChildren: Record<SignInOutcome, Child> = each(SIGN_IN_OUTCOMES, (outcome) => startAtZero(signIns, { outcome }));

	const secondFactors = new Counter({ name: "deadbolt_second_factor_results_total", help: "Second-factor checks (sign-in code steps, remembered devices, re-authentication), by purpose, method and outcome.", labelNames: ["purpose", "method", "outcome"], registers });
	const secondFactorChildren: Record<SecondFactorPurpose, Record<SecondFactorMethod, Record<SecondFactorOutcome, Child>>> = each(SECOND_FACTOR_PURPOSES, (purpose) =>
		each(SECOND_FACTOR_METHODS, (method) => each(SECOND_FACTOR_OUTCOMES, (outcome) => startAtZero(secondFactors, { purpose, method, outcome }))),
	);

	const lockouts = new Counter({ name: "deadbolt_lockouts_total", help: "Accounts locked after too many failures, by factor and by lock (timed, or until an operator unlocks).", labelNames: ["factor", "lock"], registers });
	const lockoutChildren: Record<LockoutFactor, { timed: Child; until_unlocked: Child }> = each(LOCKOUT_FACTORS, (factor) => ({ timed: startAtZero(lockouts, { factor, lock: "timed" }), until_unlocked: startAtZero(lockouts, { factor, lock: "until_unlocked" }) }));

	const rateLimited = new Counter({ name: "deadbolt_rate_limit_refusals_total", help: "Requests refused by the per-client-IP limit (429), by route.", labelNames: ["route"], registers });
	// Routes come from a fixed set (the credential routes); a child is made at a route's first refusal.
	const rateLimitChildren = new Map<string, Child>();

	const forwardAuthDecisions = new Counter({ name: "deadbolt_forward_auth_decisions_total", help: "Forward-auth answers to proxies, by decision.", labelNames: ["decision"], registers });
	const decisionChildren: Record<ForwardAuthDecision, Child> = each(FORWARD_AUTH_DECISIONS, (decision) => startAtZero(forwardAuthDecisions, { decision }));
	const forwardAuthDuration = new Histogram({ name: "deadbolt_forward_auth_duration_seconds", help: "Time to answer a forward-auth request, from the handler's start to the answer.", buckets: [...REQUEST_BUCKETS_SECONDS], registers });

	const hashWait = new Histogram({ name: "deadbolt_password_hash_queue_wait_seconds", help: "Time an argon2id hash or verification waited for a free slot (password.hashConcurrency).", labelNames: ["operation"], buckets: [...HASH_WAIT_BUCKETS_SECONDS], registers });
	const hashWaitChildren: Record<HashOperation, Observer> = each(HASH_OPERATIONS, (operation) => {
		hashWait.zero({ operation });
		return hashWait.labels(operation);
	});

	const database = new Histogram({ name: "deadbolt_database_duration_seconds", help: "Time of database operations: one repository call (query), or a whole transaction.", labelNames: ["operation"], buckets: [...DATABASE_BUCKETS_SECONDS], registers });
	const databaseChildren: Record<DatabaseOperation, Observer> = each(DATABASE_OPERATIONS, (operation) => {
		database.zero({ operation });
		return database.labels(operation);
	});

	const pending = new Gauge({ name: "deadbolt_outbox_pending_deliveries", help: "Outbox deliveries not sent yet (due, retrying or being sent), by channel; the same on every instance of one database.", labelNames: ["channel"], registers });
	const oldestAge = new Gauge({ name: "deadbolt_outbox_oldest_pending_age_seconds", help: "Age of the oldest pending outbox delivery, by channel (0 when none is pending).", labelNames: ["channel"], registers });
	const dead = new Gauge({ name: "deadbolt_outbox_dead_deliveries", help: "Outbox deliveries given up on after their last attempt (dead letters), by channel.", labelNames: ["channel"], registers });

	const refreshOutbox = async (): Promise<void> => {
		try {
			const backlog = await options.outboxBacklog();
			for (const channel of backlog) {
				pending.labels(channel.channel).set(channel.pending);
				oldestAge.labels(channel.channel).set(channel.oldestPendingAgeSeconds);
				dead.labels(channel.channel).set(channel.dead);
			}
		} catch (error) {
			// No stale numbers: the outbox series are missing from this scrape (alert on absent() if needed).
			pending.reset();
			oldestAge.reset();
			dead.reset();
			options.logger.warn({ event: "metrics.outbox_unreadable", err: error }, "the outbox backlog could not be read for /metrics");
		}
	};

	return Object.freeze({
		enabled: true,
		signIn: (outcome: SignInOutcome) => signInChildren[outcome].inc(),
		secondFactor: (purpose: SecondFactorPurpose, method: SecondFactorMethod, outcome: SecondFactorOutcome) => secondFactorChildren[purpose][method][outcome].inc(),
		lockout: (factor: LockoutFactor, untilUnlocked: boolean) => lockoutChildren[factor][untilUnlocked ? "until_unlocked" : "timed"].inc(),
		rateLimitRefusal: (route: string) => {
			let child = rateLimitChildren.get(route);
			if (child === undefined) {
				child = rateLimited.labels(route);
				rateLimitChildren.set(route, child);
			}
			child.inc();
		},
		forwardAuth: (decision: ForwardAuthDecision, durationSeconds: number) => {
			decisionChildren[decision].inc();
			forwardAuthDuration.observe(durationSeconds);
		},
		hashQueueWait: (operation: HashOperation, waitSeconds: number) => hashWaitChildren[operation].observe(waitSeconds),
		database: (operation: DatabaseOperation, durationSeconds: number) => databaseChildren[operation].observe(durationSeconds),
		scrape: async (): Promise<MetricsScrape> => {
			await refreshOutbox();
			// prom-client writes a NaN value (the event-loop lag's mean before its first sample, right
			// after a start) as `Nan`; the text format spells it `NaN`.
			return { contentType: registry.contentType, text: (await registry.metrics()).replace(/ Nan$/gm, " NaN") };
		},
		close: () => registry.clear(),
	});
}

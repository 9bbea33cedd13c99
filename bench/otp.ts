/**
 * OTP verification benchmark: `npm run bench:otp`.
 *
 * Measures, in one process, the ops/s of:
 *   - the floor: one raw `createHmac("sha1", key).update(8-byte counter).digest()`;
 *   - deadbolt `verifyTOTP` (window ±1) with a valid code (matches the current step: 1 HMAC);
 *   - deadbolt `verifyTOTP` (window ±1) with a wrong code (3 HMACs);
 *   - otpauth `TOTP.validate({ window: 1 })` with a valid and a wrong code, for reference.
 * and prints each as a "cost in raw HMACs" (= floor ops/s ÷ op ops/s).
 *
 * Method: every case is warmed up, then the cases run interleaved in ROUNDS rounds of
 * ROUND_MS each (about 1 s per case in total), timed with process.hrtime.bigint(). Ops/s
 * is total ops ÷ total time; the cost is the median over rounds of (floor rate ÷ case
 * rate) measured in the same round, which cancels slow drift (CPU frequency, other load).
 *
 * Target: wrong-code verifyTOTP (window ±1) costs at most 3.3 raw HMACs. The process exits
 * with code 1 when the target is missed. verifyTOTP can come in below 3.0 because it asks
 * for "binary" (latin1) string digests, which skip the ArrayBuffer allocation (and its later
 * finalisation) that the Buffer digest of the floor pays for; measured here at about a
 * quarter of an HMAC's cost on Node 20.
 */
import { createHmac } from "node:crypto";
import * as OTPAuth from "otpauth";
import { generateTOTP, verifyTOTP } from "../src/domain/otp/totp.js";
import { generateOTPKey } from "../src/domain/otp/key.js";
import { sequenceRandom } from "../src/platform/random.js";

const ROUNDS = 5;
const ROUND_MS = 200;
const WARMUP_MS = 300;
const BATCH = 64;
const TARGET_WRONG_CODE_COST = 3.3;

interface BenchCase {
	name: string;
	run: () => unknown;
}

interface CaseResult {
	name: string;
	ops: number;
	nanoseconds: bigint;
	roundRates: number[];
}

let sink = 0;

function consume(value: unknown): void {
	// Keeps results observable so the JIT cannot drop the work.
	if (value === null) sink += 1;
	else if (typeof value === "number") sink += value;
	else if (typeof value === "boolean") sink += value ? 1 : 0;
	else if (value instanceof Uint8Array) sink += value[0] ?? 0;
}

/** Runs `run` in batches for about `durationMs`; returns [ops, elapsed ns]. */
function timeBox(run: () => unknown, durationMs: number): [number, bigint] {
	const budget = BigInt(durationMs) * 1_000_000n;
	const start = process.hrtime.bigint();
	let ops = 0;
	let elapsed = 0n;
	do {
		for (let i = 0; i < BATCH; i++) consume(run());
		ops += BATCH;
		elapsed = process.hrtime.bigint() - start;
	} while (elapsed < budget);
	return [ops, elapsed];
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1
		? (sorted[middle] as number)
		: ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function main(): void {
	const key = generateOTPKey(sequenceRandom("bench:otp"));
	const keyBuffer = Buffer.from(key);
	const nowUnixMillis = 1_700_000_000_000;
	const counterBuffer = Buffer.alloc(8);
	counterBuffer.writeUInt32BE(Math.floor(nowUnixMillis / 30_000), 4);

	const validCode = generateTOTP(key, nowUnixMillis);
	let wrongCode = "000000";
	for (let candidate = 0; verifyTOTP(key, wrongCode, nowUnixMillis) !== null; candidate++) {
		wrongCode = String(candidate).padStart(6, "0");
	}

	const secret = new OTPAuth.Secret({ buffer: key.slice().buffer });
	const otpauthOptions = { secret, algorithm: "SHA1", digits: 6, period: 30, timestamp: nowUnixMillis, window: 1 };
	if (OTPAuth.TOTP.validate({ ...otpauthOptions, token: validCode }) !== 0) {
		throw new Error("otpauth disagrees with deadbolt on the valid code");
	}
	if (OTPAuth.TOTP.validate({ ...otpauthOptions, token: wrongCode }) !== null) {
		throw new Error("otpauth accepts the wrong code");
	}

	const cases: BenchCase[] = [
		{ name: "raw createHmac sha1 (floor)", run: () => createHmac("sha1", keyBuffer).update(counterBuffer).digest() },
		{ name: "deadbolt verifyTOTP valid (±1)", run: () => verifyTOTP(key, validCode, nowUnixMillis) },
		{ name: "deadbolt verifyTOTP wrong (±1)", run: () => verifyTOTP(key, wrongCode, nowUnixMillis) },
		{
			name: "otpauth TOTP.validate valid (±1)",
			run: () => OTPAuth.TOTP.validate({ ...otpauthOptions, token: validCode }),
		},
		{
			name: "otpauth TOTP.validate wrong (±1)",
			run: () => OTPAuth.TOTP.validate({ ...otpauthOptions, token: wrongCode }),
		},
	];

	for (const benchCase of cases) timeBox(benchCase.run, WARMUP_MS);

	const results: CaseResult[] = cases.map((benchCase) => ({
		name: benchCase.name,
		ops: 0,
		nanoseconds: 0n,
		roundRates: [],
	}));
	for (let round = 0; round < ROUNDS; round++) {
		cases.forEach((benchCase, index) => {
			const [ops, nanoseconds] = timeBox(benchCase.run, ROUND_MS);
			const result = results[index] as CaseResult;
			result.ops += ops;
			result.nanoseconds += nanoseconds;
			result.roundRates.push(ops / (Number(nanoseconds) / 1e9));
		});
	}

	const floor = results[0] as CaseResult;
	const rows = results.map((result) => {
		const opsPerSecond = result.ops / (Number(result.nanoseconds) / 1e9);
		const costs = result.roundRates.map((rate, round) => (floor.roundRates[round] as number) / rate);
		return { name: result.name, opsPerSecond, cost: median(costs) };
	});

	console.log(`node ${process.version}, ${ROUNDS} interleaved rounds x ${ROUND_MS} ms per case, after ${WARMUP_MS} ms warm-up`);
	console.log("");
	const nameWidth = Math.max(...rows.map((row) => row.name.length));
	console.log(`${"case".padEnd(nameWidth)}  ${"ops/s".padStart(10)}  ${"cost (raw HMACs)".padStart(16)}`);
	console.log(`${"-".repeat(nameWidth)}  ${"-".repeat(10)}  ${"-".repeat(16)}`);
	for (const row of rows) {
		console.log(
			`${row.name.padEnd(nameWidth)}  ${Math.round(row.opsPerSecond).toLocaleString("en-US").padStart(10)}  ${row.cost.toFixed(2).padStart(16)}`,
		);
	}
	const wrongCost = (rows[2] as { cost: number }).cost;
	const met = wrongCost <= TARGET_WRONG_CODE_COST;
	console.log("");
	console.log(
		`target: wrong-code verifyTOTP (window ±1, 3 HMACs) <= ${TARGET_WRONG_CODE_COST} raw HMACs: ` +
			`${wrongCost.toFixed(2)} -> ${met ? "MET" : "MISSED"}`,
	);
	if (sink === Number.MIN_SAFE_INTEGER) console.log(sink); // never true; keeps `sink` live
	if (!met) process.exitCode = 1;
}

main();

/**
 * The outside world of the delivery tests, as real processes: an SMTP server (`smtp-server`, in
 * `processes/smtp-sink.mjs`) whose received messages are parsed with `mailparser`, and a webhook
 * receiver (`processes/webhook-receiver.mjs`) that verifies every message with `standardwebhooks`
 * and records it. Each runs in a child process of its own on a loopback port, in a process group
 * of its own, killed when the test file ends ({@link stopDeliveryProcesses}) or the worker exits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";

const PROCESSES = resolve(import.meta.dirname, "processes");

const running = new Set<ChildProcess>();
process.once("exit", () => {
	for (const child of running) kill(child);
});

function kill(child: ChildProcess): void {
	if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
	try {
		process.kill(-child.pid, "SIGKILL");
	} catch {
		// Gone already.
	}
}

/** A started helper process. */
interface Started {
	readonly port: number;
	readonly child: ChildProcess;
	output(): string;
	/** Kills it (SIGKILL) and resolves when it has ended. */
	stop(): Promise<void>;
}

/** Starts `node <script>` and resolves once it prints `LISTENING <port>`. */
async function startScript(script: string, env: Readonly<Record<string, string>>): Promise<Started> {
	const child = spawn(process.execPath, [join(PROCESSES, script)], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
	running.add(child);
	const exited = new Promise<void>((done) => child.once("exit", () => done()));
	void exited.then(() => running.delete(child));
	let output = "";
	child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
	const port = await new Promise<number>((resolvePort, reject) => {
		child.stdout?.on("data", (chunk: Buffer) => {
			output += chunk.toString();
			const match = /LISTENING (\d+)/.exec(output);
			if (match !== null) resolvePort(Number(match[1]));
		});
		void exited.then(() => reject(new Error(`${script} ended before listening:\n${output}`)));
	});
	return {
		port,
		child,
		output: () => output,
		stop: async () => {
			kill(child);
			await exited;
		},
	};
}

/** Kills every helper process still running. */
export async function stopDeliveryProcesses(): Promise<void> {
	const children = [...running];
	for (const child of children) kill(child);
	await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((done) => child.once("exit", done)))));
}

/** A running SMTP server. */
export interface SmtpSink extends Started {
	/** `smtp://127.0.0.1:<port>` */
	readonly url: string;
}

/**
 * Starts the SMTP server process.
 * @param dir - where received messages are written (kept across restarts on the same port)
 * @param port - 0 for any free port; a fixed one to bring a server back where deadbolt expects it
 */
export async function startSmtpSink(dir: string, port = 0): Promise<SmtpSink> {
	const started = await startScript("smtp-sink.mjs", { SMTP_SINK_DIR: dir, SMTP_SINK_PORT: String(port) });
	return { ...started, url: `smtp://127.0.0.1:${started.port}` };
}

/** Every message in `dir` (SMTP sink or `.eml` fallback), parsed, in file-name order. */
export async function readMails(dir: string): Promise<(ParsedMail & { file: string })[]> {
	if (!existsSync(dir)) return [];
	const files = readdirSync(dir).filter((name) => name.endsWith(".eml") && !name.startsWith(".")).sort();
	return Promise.all(files.map(async (file) => Object.assign(await simpleParser(readFileSync(join(dir, file))), { file: join(dir, file) })));
}

/** One request the receiver got. */
export interface ReceivedWebhook {
	readonly path: string;
	readonly id: string;
	/** 1 for the first request of this id at this path. */
	readonly attempt: number;
	readonly timestamp: string | null;
	readonly signature: string | null;
	readonly contentType: string | null;
	readonly userAgent: string | null;
	/** Whether `standardwebhooks` verified it with the receiver's secret. */
	readonly verified: boolean;
	readonly error: string | null;
	readonly body: string;
	/** Whether the connection has ended (answered, or given up by the sender). */
	readonly closed: boolean;
}

/** A running webhook receiver. */
export interface WebhookReceiver extends Started {
	/** `http://127.0.0.1:<port>` */
	readonly url: string;
	received(): Promise<ReceivedWebhook[]>;
	/** Ends every request it holds. */
	release(): Promise<void>;
}

/** Starts the webhook receiver process, verifying with `secret` (`whsec_...`). */
export async function startWebhookReceiver(secret: string, port = 0): Promise<WebhookReceiver> {
	const started = await startScript("webhook-receiver.mjs", { RECEIVER_SECRET: secret, RECEIVER_PORT: String(port) });
	const url = `http://127.0.0.1:${started.port}`;
	return {
		...started,
		url,
		received: async () => (await (await fetch(`${url}/__received`)).json()) as ReceivedWebhook[],
		release: async () => {
			await fetch(`${url}/__release`, { method: "POST" });
		},
	};
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with
 * what it last saw (a bound for a hung test, not an assertion about time).
 */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
		await new Promise((done) => setTimeout(done, 100));
	}
}

/** A Standard Webhooks secret for tests: `whsec_` + base64 of 32 bytes. */
export function testWebhookSecret(fill = 5): string {
	return `whsec_${Buffer.alloc(32, fill).toString("base64")}`;
}

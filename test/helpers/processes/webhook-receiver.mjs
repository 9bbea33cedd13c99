// A webhook receiver in a process of its own, for the delivery tests: it verifies every message
// with the `standardwebhooks` library (secret: RECEIVER_SECRET) and records what it got. Its
// behaviour is chosen by the path the endpoint names:
//   /ok          204
//   /fail-once   500 to the first attempt of each webhook-id, then 200
//   /redirect    302 to /ok (a sender must not follow it)
//   /gone        410
//   /hang        never answers (held until /__release)
//   /hang-once   holds the first attempt of each webhook-id, answers 200 to the others
// GET /__received: every request as JSON, in arrival order (recorded on arrival, before any answer),
// with `closed`: whether its connection has ended (a held request stays open until the sender gives up).
// POST /__release: ends every held request (for a clean stop).
// Prints "LISTENING <port>" once it listens on 127.0.0.1:<RECEIVER_PORT> (0: any free port).
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const secret = process.env.RECEIVER_SECRET;
if (!secret) throw new Error("RECEIVER_SECRET is required");
const webhook = new Webhook(secret);
const received = [];
const held = [];
const attemptsById = new Map();

const server = createServer((request, response) => {
	const path = new URL(request.url, "http://receiver").pathname;
	if (request.method === "GET" && path === "/__received") {
		response.writeHead(200, { "content-type": "application/json" });
		return response.end(JSON.stringify(received));
	}
	if (request.method === "POST" && path === "/__release") {
		for (const pending of held.splice(0)) pending.destroy();
		response.writeHead(204);
		return response.end();
	}
	const chunks = [];
	request.on("data", (chunk) => chunks.push(chunk));
	request.on("end", () => {
		const body = Buffer.concat(chunks).toString("utf8");
		const id = request.headers["webhook-id"] ?? "";
		let verified = false;
		let error = null;
		try {
			webhook.verify(body, { "webhook-id": id, "webhook-timestamp": request.headers["webhook-timestamp"] ?? "", "webhook-signature": request.headers["webhook-signature"] ?? "" });
			verified = true;
		} catch (caught) {
			error = caught instanceof Error ? caught.message : String(caught);
		}
		const key = `${path} ${id}`;
		const attempt = (attemptsById.get(key) ?? 0) + 1;
		attemptsById.set(key, attempt);
		const entry = {
			path,
			id,
			attempt,
			timestamp: request.headers["webhook-timestamp"] ?? null,
			signature: request.headers["webhook-signature"] ?? null,
			contentType: request.headers["content-type"] ?? null,
			userAgent: request.headers["user-agent"] ?? null,
			verified,
			error,
			body,
			receivedAt: Date.now(),
			// For held requests: whether the sender has closed the connection since.
			closed: false,
		};
		received.push(entry);
		response.on("close", () => (entry.closed = true));
		const answer = (status, headers = {}) => {
			response.writeHead(status, headers);
			response.end();
		};
		if (path === "/ok") return answer(204);
		if (path === "/fail-once") return answer(attempt === 1 ? 500 : 200);
		if (path === "/redirect") return answer(302, { location: "/ok" });
		if (path === "/gone") return answer(410);
		if (path === "/hang" || (path === "/hang-once" && attempt === 1)) return void held.push(response);
		if (path === "/hang-once") return answer(200);
		return answer(404);
	});
});
server.listen(Number(process.env.RECEIVER_PORT ?? "0"), "127.0.0.1", () => {
	console.log(`LISTENING ${server.address().port}`);
});

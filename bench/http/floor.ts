/**
 * The floor of `npm run bench:http`: Fastify's hello world (the same Fastify as deadbolt, no
 * logger, no plugins), started by `bench/http.ts` as a child process the same way as the
 * deadbolt server, so both pay the same for the process, the loader and the socket.
 */
import Fastify from "fastify";
import { Observation } from "./observe.js";
import type { ObserveReply, ObserveRequest, ReadyMessage } from "./protocol.js";

const app = Fastify({ logger: false });
app.get("/", async () => ({ hello: "world" }));
// bench/forward-auth.ts's free check: an auth server that allows everything, with no body (as
// deadbolt answers an allowed check, so that nginx keeps the connection).
app.get("/allow", async (_request, reply) => reply.status(200).send());
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
if (address === null || typeof address === "string") throw new Error("no TCP address");
let observation: Observation | null = null;
process.on("message", (request: ObserveRequest) => {
	let reply: ObserveReply;
	if (request.type === "observe-start") {
		observation = new Observation();
		reply = { id: request.id, type: "observe-started" };
	} else if (observation !== null) {
		reply = { id: request.id, type: "observed", observation: observation.finish() };
		observation = null;
	} else {
		reply = { id: request.id, type: "error", message: "observe-stop before observe-start" };
	}
	process.send?.(reply);
});
process.on("disconnect", () => {
	void app.close().finally(() => process.exit(0));
});
process.send?.({ type: "ready", port: address.port } satisfies ReadyMessage);

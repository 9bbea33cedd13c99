/**
 * The floor of `npm run bench:http`: Fastify's hello world (the same Fastify as deadbolt, no
 * logger, no plugins), started by `bench/http.ts` as a child process the same way as the
 * deadbolt server, so both pay the same for the process, the loader and the socket.
 */
import Fastify from "fastify";
import type { ReadyMessage } from "./protocol.js";

const app = Fastify({ logger: false });
app.get("/", async () => ({ hello: "world" }));
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
if (address === null || typeof address === "string") throw new Error("no TCP address");
process.on("disconnect", () => {
	void app.close().finally(() => process.exit(0));
});
process.send?.({ type: "ready", port: address.port } satisfies ReadyMessage);

// A real SMTP server (the `smtp-server` package) in a process of its own, for the delivery tests:
// it accepts every message on 127.0.0.1:<SMTP_SINK_PORT> (0: any free port) and writes each, as
// received, to <SMTP_SINK_DIR>/<n>.eml (written to a temporary name, then renamed, so a reader
// never sees half a message). Prints "LISTENING <port>" once it listens. No STARTTLS, no AUTH.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";

const dir = process.env.SMTP_SINK_DIR;
if (!dir) throw new Error("SMTP_SINK_DIR is required");
mkdirSync(dir, { recursive: true });
let count = 0;
const server = new SMTPServer({
	secure: false,
	authOptional: true,
	disabledCommands: ["STARTTLS", "AUTH"],
	logger: false,
	onData(stream, _session, callback) {
		const chunks = [];
		stream.on("data", (chunk) => chunks.push(chunk));
		stream.on("end", () => {
			const name = `${String(++count).padStart(6, "0")}-${process.pid}.eml`;
			writeFileSync(join(dir, `.${name}.tmp`), Buffer.concat(chunks));
			renameSync(join(dir, `.${name}.tmp`), join(dir, name));
			callback(null, "Message accepted");
		});
	},
});
server.on("error", (error) => console.error(`smtp-sink error: ${error.message}`));
server.listen(Number(process.env.SMTP_SINK_PORT ?? "0"), "127.0.0.1", () => {
	console.log(`LISTENING ${server.server.address().port}`);
});

// The protected app of the forward-auth proxy tests (test/helpers/proxies.ts): a tiny HTTP server in
// a process of its own that answers every request with 200 and JSON of what it received:
//   { "method", "url", "headers": { lower-case name: value, ... }, "rawHeaders": [[name, value], ...] }
// `headers` is Node's view (repeated headers joined); `rawHeaders` keeps every header line as it
// arrived (so a test can see a forged `Remote-User` that arrived twice, or under another spelling).
// The request body is read and dropped. An HTML page is never served: a browser sees the JSON.
// Prints "LISTENING <port>" once it listens on 127.0.0.1:<ECHO_PORT> (0 or unset: any free port).
import { createServer } from "node:http";

const server = createServer((request, response) => {
	request.resume();
	request.on("end", () => {
		const rawHeaders = [];
		for (let i = 0; i < request.rawHeaders.length; i += 2) rawHeaders.push([request.rawHeaders[i], request.rawHeaders[i + 1]]);
		const body = JSON.stringify({ method: request.method, url: request.url, headers: request.headers, rawHeaders });
		response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
		response.end(body);
	});
});

server.listen(Number(process.env.ECHO_PORT ?? 0), "127.0.0.1", () => {
	process.stdout.write(`LISTENING ${server.address().port}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

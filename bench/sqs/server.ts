// Child process of the SQS benchmark: fauxqs plus a proxy that adds a fixed latency to every
// request, as a real region does. Running apart keeps the emulator's CPU out of the consumer's.
// Prints one JSON line: { "direct": port, "proxy": port }.
import { Agent, createServer, request } from "node:http";
import { startFauxqs } from "fauxqs";

const latencyMs = Number(process.env.BENCH_SQS_LATENCY_MS ?? 10);
const server = await startFauxqs({ port: 0, logger: false });
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const proxy = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    setTimeout(() => {
      const upstream = request(
        {
          host: "127.0.0.1",
          port: server.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      // An aborted long poll closes the client socket; pass that on so the emulator stops waiting.
      res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(Buffer.concat(chunks));
    }, latencyMs);
  });
});
proxy.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const address = proxy.address();
const proxyPort = typeof address === "object" && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ direct: server.port, proxy: proxyPort })}\n`);
process.on("SIGTERM", async () => {
  proxy.close();
  await server.stop();
  process.exit(0);
});

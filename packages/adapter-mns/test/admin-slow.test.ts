// Listing a dead-letter queue when one pass over it takes longer than the queue's visibility
// timeout (a big DLQ, a slow link): the SQS adapter's listing never returned in that case (found
// by the chaos run); the MNS listing had the same loop.
import { connect, createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTransport } from "../src/index.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import { client, server, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
let proxy: Server;
let slowEndpoint: string;

/** A TCP proxy to the test server that holds every chunk a client sends for `ms`. */
async function slowProxy(target: URL, ms: number): Promise<Server> {
  const p = createServer((socket) => {
    const upstream = connect(Number(target.port), target.hostname);
    socket.on("data", (chunk) => setTimeout(() => upstream.write(chunk), ms));
    upstream.pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => p.listen(0, "127.0.0.1", resolve));
  return p;
}

beforeAll(async () => {
  s = await server();
  proxy = await slowProxy(new URL(s.endpoint), 400);
  slowEndpoint = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  proxy.close();
  await s.close();
});

describe("MnsAdmin on a slow link", () => {
  it("dlq list returns every dead letter once and ends, even when a pass takes longer than the queue's visibility timeout", async () => {
    const queue = uniqueQueue("adminslow");
    const mns = client(s);
    await mns.createQueue(queue, {});
    await mns.createQueue(`${queue}-dlq`, { visibilityTimeoutSeconds: 1 });
    for (let i = 0; i < 40; i++)
      await mns.sendMessage(`${queue}-dlq`, { body: new TextEncoder().encode(`dead ${i}`) });
    const t = await openTransport(`mns+http://${slowEndpoint}/${queue}?accountId=${s.accountId}`, {
      accessKeyId: s.credentials[0]!.accessKeyId,
      accessKeySecret: s.credentials[0]!.accessKeySecret,
      visibilityTimeoutMs: 30_000,
    });
    try {
      const listed = await t.admin().listDeadLetters({ limit: 1000 });
      expect(listed.map((d) => d.body).sort()).toEqual(
        Array.from({ length: 40 }, (_, i) => `dead ${i}`).sort(),
      );
    } finally {
      await t.close();
    }
  }, 60_000);
});

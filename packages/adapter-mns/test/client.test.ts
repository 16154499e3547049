import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MnsAuthError,
  MnsMessageTooLargeError,
  MnsNetworkError,
  MnsQueueNotExistError,
  MnsReceiptHandleError,
} from "../src/client/errors.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import { client, rawSdk, server, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
beforeAll(async () => {
  s = await server();
});
afterAll(() => s.close());
const bytes = (t: string) => new TextEncoder().encode(t);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("MnsClient (typed wrapper over @alicloud/mns)", () => {
  it("base64-encodes bodies, so <, & and binary survive the SDK's unescaped XML", async () => {
    const c = client(s);
    const q = uniqueQueue("b64");
    await c.createQueue(q);
    const binary = new Uint8Array([0, 255, 60, 38, 10]);
    await c.sendMessage(q, { body: bytes('{"name":"x","data":"<a&b>"}') });
    await c.batchSendMessage(q, [{ body: binary }]);
    const got = await c.batchReceiveMessage(q, 16, 0);
    expect(got.map((m) => m.bodyEncoding)).toEqual(["base64", "base64"]);
    expect(text(got[0]!.body)).toBe('{"name":"x","data":"<a&b>"}');
    expect([...got[1]!.body]).toEqual([...binary]);
  });

  it("reads plain-text bodies from other producers unchanged", async () => {
    const c = client(s);
    const q = uniqueQueue("plain");
    await c.createQueue(q);
    const sdk = rawSdk(s);
    await (sdk.sendMessage as (q: string, p: object) => Promise<unknown>)(q, {
      MessageBody: '{"name":"demo_data_created","data":{"id":1}}',
    });
    const [m] = await c.batchReceiveMessage(q, 1, 0);
    expect(m!.bodyEncoding).toBe("text");
    expect(JSON.parse(text(m!.body))).toEqual({ name: "demo_data_created", data: { id: 1 } });
  });

  it("bodyEncoding text XML-escapes what the SDK would not", async () => {
    const c = client(s, { bodyEncoding: "text" });
    const q = uniqueQueue("text");
    await c.createQueue(q);
    await c.sendMessage(q, { body: bytes("fish & chips <3 — 订单已创建") });
    const [m] = await c.batchReceiveMessage(q, 1, 0);
    expect(m!.rawBody).toBe("fish & chips <3 — 订单已创建");
  });

  it("an empty long poll resolves [] and counts one request", async () => {
    const c = client(s);
    const q = uniqueQueue("empty");
    await c.createQueue(q);
    const before = c.requests.total;
    expect(await c.batchReceiveMessage(q, 16, 1)).toEqual([]);
    expect(c.requests.total - before).toBe(1);
    expect(c.requests.byOperation.BatchReceiveMessage).toBe(1);
  });

  it("a long poll longer than the connect timeout waits its whole time and resolves [] (the SDK's httpx would time it out as a connect)", async () => {
    const c = client(s, { connectTimeoutMs: 500 });
    const q = uniqueQueue("longpoll");
    await c.createQueue(q);
    const started = Date.now();
    expect(await c.batchReceiveMessage(q, 16, 2)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });

  it("abort ends a long poll at once with [] and the server drops the waiter", async () => {
    const c = client(s);
    const q = uniqueQueue("abort");
    await c.createQueue(q);
    const ac = new AbortController();
    const began = Date.now();
    const polling = c.batchReceiveMessage(q, 16, 20, ac.signal);
    setTimeout(() => ac.abort(), 100);
    expect(await polling).toEqual([]);
    expect(Date.now() - began).toBeLessThan(1_000);
    await c.sendMessage(q, { body: bytes("after") });
    const got = await c.batchReceiveMessage(q, 16, 1);
    expect(got.map((m) => text(m.body))).toEqual(["after"]);
  });

  it("URL-encodes receipt handles; ChangeMessageVisibility returns the new handle and the old is dead", async () => {
    const c = client(s);
    const q = uniqueQueue("cmv");
    await c.createQueue(q);
    await c.sendMessage(q, { body: bytes("x") });
    const [m] = await c.batchReceiveMessage(q, 1, 0);
    expect(m!.receiptHandle).toMatch(/[+/=]/);
    const changed = await c.changeMessageVisibility(q, m!.receiptHandle, 30);
    expect(changed.receiptHandle).not.toBe(m!.receiptHandle);
    await expect(c.deleteMessage(q, m!.receiptHandle)).rejects.toBeInstanceOf(MnsReceiptHandleError);
    await c.deleteMessage(q, changed.receiptHandle);
  });

  it("batch delete resolves per-handle failures", async () => {
    const c = client(s);
    const q = uniqueQueue("bdel");
    await c.createQueue(q);
    await c.batchSendMessage(q, [{ body: bytes("a") }, { body: bytes("b") }]);
    const got = await c.batchReceiveMessage(q, 16, 0);
    const failed = await c.batchDeleteMessage(q, [got[0]!.receiptHandle, "gone&<", got[1]!.receiptHandle]);
    expect([...failed.keys()]).toEqual(["gone&<"]);
    expect(failed.get("gone&<")).toBeInstanceOf(MnsReceiptHandleError);
    expect((await c.batchDeleteMessage(q, [got[0]!.receiptHandle])).size).toBe(1);
  });

  it("maps SDK error names to typed errors; connection failures are MnsNetworkError", async () => {
    const c = client(s);
    await expect(c.sendMessage("no-such-queue", { body: bytes("x") })).rejects.toBeInstanceOf(
      MnsQueueNotExistError,
    );
    const bad = client(s, { accessKeySecret: "wrong-secret" });
    const e = await bad.getQueueAttributes("whatever").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MnsAuthError);
    expect(String((e as Error).message)).not.toContain("wrong-secret");
    const down = client(s, { endpoint: "http://127.0.0.1:9" });
    await expect(down.getQueueAttributes("q")).rejects.toBeInstanceOf(MnsNetworkError);
  });

  it("a non-MNS error answer (a proxy's 502) is an MnsNetworkError, not an empty receive", async () => {
    const proxy = createServer((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>bad gateway</html>");
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
    const port = (proxy.address() as AddressInfo).port;
    try {
      const c = client(s, { endpoint: `http://127.0.0.1:${port}` });
      const e = await c.batchReceiveMessage("q", 16, 0).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(MnsNetworkError);
      expect((e as MnsNetworkError).status).toBe(502);
      await expect(c.batchDeleteMessage("q", ["h"])).rejects.toBeInstanceOf(MnsNetworkError);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it("refuses a body over 64 KB once base64-encoded, before sending anything", async () => {
    const c = client(s);
    const q = uniqueQueue("big");
    await c.createQueue(q);
    const before = c.requests.total;
    const big = new Uint8Array(50_000);
    await expect(c.sendMessage(q, { body: big })).rejects.toBeInstanceOf(MnsMessageTooLargeError);
    await expect(c.sendMessage(q, { body: big })).rejects.toThrow(
      /66668 bytes once encoded, over the MNS limit of 65536/,
    );
    expect(c.requests.total).toBe(before);
    await c.sendMessage(q, { body: new Uint8Array(49_000) });
  });

  it("createQueue is idempotent: 'exists' for a queue already there", async () => {
    const c = client(s);
    const q = uniqueQueue("idem");
    expect(await c.createQueue(q, { visibilityTimeoutSeconds: 5 })).toBe("created");
    expect(await c.createQueue(q, { visibilityTimeoutSeconds: 9 })).toBe("exists");
    expect((await c.getQueueAttributes(q)).visibilityTimeoutSeconds).toBe(5);
  });
});

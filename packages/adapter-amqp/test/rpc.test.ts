import { createApp, silentLogger } from "@mailroom/core";
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PublishRejectedError, RpcTimeoutError } from "../src/index.ts";
import { AMQP_URL, sharedBrokerLock, testScope, transport, uniqueName } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
const scope = testScope(afterAll);
const { stops } = scope;

async function server(queue: string) {
  const t = await transport(queue).connect();
  const app = createApp({ name: "pricing", logger: silentLogger });
  app.handle("quote_price", (data) => {
    const { sku, qty } = data as { sku: string; qty: number };
    return { sku, total: qty * 2.5 };
  });
  scope.run(app, t, { concurrency: 8 });
  return t;
}

describe("RPC over RabbitMQ", () => {
  it("round trip over direct reply-to: the handler's return value is the reply", async () => {
    const queue = uniqueName("rpc");
    await server(queue);
    const client = transport(queue);
    stops.push(() => client.close());
    const rpc = client.rpcClient();
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rpc.request("quote_price", { sku: `A${i}`, qty: i }, { timeout: 5_000 }),
      ),
    );
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => ({ sku: `A${i}`, total: i * 2.5 })));
  });

  it("replies to a caller's own callback queue with its correlation_id, as clients in other languages do", async () => {
    const queue = uniqueName("rpc-own");
    await server(queue);
    const conn = await connect(AMQP_URL);
    stops.push(() => conn.close());
    const ch = await conn.createChannel();
    const { queue: callback } = await ch.assertQueue("", { exclusive: true });
    const reply = new Promise<{ body: unknown; correlationId: unknown }>((resolve) => {
      void ch.consume(
        callback,
        (m) => {
          if (m)
            resolve({ body: JSON.parse(m.content.toString()), correlationId: m.properties.correlationId });
        },
        { noAck: true },
      );
    });
    // As pika's RPC tutorial: body = JSON of the data, name in content_type, reply_to + correlation_id.
    ch.sendToQueue(queue, Buffer.from(JSON.stringify({ sku: "Z9", qty: 4 })), {
      contentType: "quote_price",
      replyTo: callback,
      correlationId: "corr-42",
    });
    expect(await reply).toEqual({ body: { sku: "Z9", total: 10 }, correlationId: "corr-42" });
  });

  it("a request no queue is bound for fails at once as unroutable", async () => {
    const queue = uniqueName("rpc-nowhere");
    const t = await transport(queue).connect();
    stops.push(() => t.close());
    const error = await t
      .rpcClient()
      .request("quote_price", {}, { timeout: 10_000, to: "no-such-queue-anywhere" })
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect((error as Error).message).toMatch(/could not route/);
  });

  it("a request nobody answers fails with a clear timeout error", async () => {
    const queue = uniqueName("rpc-silent");
    const t = await transport(queue).connect();
    stops.push(() => t.close());
    const began = Date.now();
    const error = await t
      .rpcClient()
      .request("quote_price", {}, { timeout: 300 })
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(RpcTimeoutError);
    expect((error as Error).message).toMatch(/no reply to "quote_price" within 300 ms/);
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
  });
});

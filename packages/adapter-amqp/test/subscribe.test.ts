import { createApp, silentLogger, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AMQP_URL, cleanup, readyCount, sharedBrokerLock, transport, uniqueName, until } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
const exchanges: string[] = [];
afterAll(() => cleanup(exchanges));

describe("binding by handler name", () => {
  it("a Worker binds the queue to the exchange by its app's handler names, with no bindings configured", async () => {
    const queue = uniqueName("subscribe");
    const exchange = `${queue}.events`;
    exchanges.push(exchange);
    const t = transport(queue, { exchange });
    const app = createApp({ name: "t", logger: silentLogger });
    const seen: unknown[] = [];
    app.handle("order_shipped", (data) => {
      seen.push(data);
    });
    const worker = new Worker(app, t.source(), { logger: silentLogger });
    const spy = new HandlerSpy(worker);
    void worker.start();
    // A producer that knows nothing of Mailroom publishes to the exchange by routing key.
    const conn = await connect(AMQP_URL);
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange(exchange, "topic", { durable: true });
    // The binding appears once the Worker subscribed: publish until it routes. RabbitMQ sends a
    // mandatory message's basic.return before its confirm, so the confirm tells whether it routed.
    const routedOnce = () =>
      new Promise<boolean>((resolve) => {
        let returned = false;
        const onReturn = () => {
          returned = true;
        };
        ch.once("return", onReturn);
        ch.publish(exchange, "order_shipped", Buffer.from('{"name":"order_shipped","data":{"id":9}}'), {
          mandatory: true,
        });
        void ch.waitForConfirms().then(() => {
          ch.off("return", onReturn);
          resolve(!returned);
        });
      });
    await until(routedOnce, 10_000, "the binding by handler name");
    await spy.waitFor({ name: "order_shipped", outcome: "ack" });
    expect(seen[0]).toEqual({ id: 9 });
    await conn.close();
    await worker.stop();
    await t.close();
  });

  it("publishes expiresInMs as the AMQP expiration property", async () => {
    const queue = uniqueName("expire");
    const t = transport(queue);
    await t.publisher().publish([
      { name: "short_lived", data: 1, expiresInMs: 1 },
      { name: "long_lived", data: 2 },
    ]);
    // The first message expires at the head of the queue and the broker drops it.
    await until(async () => (await readyCount(queue)) === 1, 5_000, "the short-lived message to expire");
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    const got = await ch.get(queue, { noAck: true });
    expect(got === false ? undefined : got.properties.type).toBe("long_lived");
    expect(await ch.get(queue)).toBe(false);
    await conn.close();
    await t.close();
  });
});

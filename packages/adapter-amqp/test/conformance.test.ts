import { runConformance } from "@mailroom/core/conformance";
import { connect } from "amqplib";
import { afterAll, beforeAll } from "vitest";
import { AMQP_URL, applyQueuePolicy, cleanup, sendRaw, sharedBrokerLock, transport } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });

const policies: Array<() => Promise<void>> = [];

runConformance({
  name: "amqp (RabbitMQ)",
  features: {
    fifo: false,
    visibilityTimeout: false,
    minDelayMs: 0,
    maxBodyBytes: 16 * 1024 * 1024,
    deadLetterCheck: true,
  },
  async open(queue, options) {
    const codec = options.codec ? { codec: options.codec } : {};
    if (options.deadLetter !== false) return transport(queue, codec).connect();
    // A queue without a dead-letter queue: declared whole, its DLQ deleted, then used in passive
    // mode (declaring would create the DLQ again), as topology that operations own would be.
    await (await transport(queue).connect()).close();
    const conn = await connect(AMQP_URL);
    await (await conn.createChannel()).deleteQueue(`${queue}.dlq`);
    await conn.close();
    return transport(queue, { ...codec, passive: true });
  },
  async sendRaw(queue, body) {
    await sendRaw(queue, body);
  },
  async refuseDeadLetters(queue) {
    // A policy changes the live DLQ without re-declaring it, so the transport's declarations still match.
    policies.push(
      await applyQueuePolicy(`${queue}-refuse`, `^${queue}\\.dlq$`, {
        "max-length": 0,
        overflow: "reject-publish",
      }),
    );
  },
  async teardown() {
    for (const remove of policies.splice(0)) await remove();
    await cleanup();
  },
});

import { runConformance } from "@mailroom/core/conformance";
import { afterAll, beforeAll } from "vitest";
import { cleanup, sendRaw, sharedBrokerLock, transport } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });

runConformance({
  name: "amqp (RabbitMQ)",
  features: { fifo: false, visibilityTimeout: false, minDelayMs: 0, maxBodyBytes: 16 * 1024 * 1024 },
  async open(queue, options) {
    return transport(queue, options.codec ? { codec: options.codec } : {}).connect();
  },
  async sendRaw(queue, body) {
    await sendRaw(queue, body);
  },
  teardown: () => cleanup(),
});

import { runConformance } from "@mailroom/core/conformance";
import { cleanup, sendRaw, transport } from "./helpers.ts";

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

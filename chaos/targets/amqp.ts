import { join } from "node:path";
import { AmqpTransport } from "@mailroom/adapter-amqp";
import { connect } from "amqplib";
import { PrivateRabbitNode } from "../brokers/rabbitmq-node.ts";
import type { ChaosTarget } from "./target.ts";

/**
 * RabbitMQ on a private node started for the run (never the shared broker of
 * scripts/services.sh, which other tests use while this one restarts and stalls its own).
 */
export const amqpTarget: ChaosTarget = {
  name: "rabbitmq",
  async start({ dir, runId, log }) {
    log("starting a private RabbitMQ node");
    const node = await PrivateRabbitNode.start(join(dir, "rabbitmq"), `mailroom-chaos-${runId}`);
    const queue = `chaos-${runId}`;
    const url = () => `${node.url}?queue=${queue}`;
    return {
      workers: { kind: "process", url: url(), env: {} },
      binaryBodies: true,
      async open() {
        const transport = new AmqpTransport(url());
        await transport.connect();
        return transport;
      },
      async sendRaw(bytes) {
        const connection = await connect(node.url);
        try {
          const channel = await connection.createConfirmChannel();
          channel.sendToQueue(queue, Buffer.from(bytes), { persistent: true });
          await channel.waitForConfirms();
        } finally {
          await connection.close();
        }
      },
      broker: {
        restart: () => node.restart(),
        stall: (ms) => node.stall(ms),
      },
      stop: () => node.stop(),
    };
  },
};

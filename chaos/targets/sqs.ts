import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { openTransport } from "@mailroom/adapter-sqs";
import { EmulatorProcess } from "../brokers/emulator.ts";
import type { ChaosTarget } from "./target.ts";

/** The emulator accepts any credentials; the SDK's default chain reads these. */
const credentials = { AWS_ACCESS_KEY_ID: "chaos", AWS_SECRET_ACCESS_KEY: "chaos", AWS_REGION: "us-east-1" };

/**
 * Amazon SQS as the fauxqs emulator in a process of its own, stalled with SIGSTOP (not
 * restarted: see brokers/emulator.ts). A standard queue with a dead-letter queue (RedrivePolicy
 * maxReceiveCount 10, above the default maxAttempts of 5).
 */
export const sqsTarget: ChaosTarget = {
  name: "sqs",
  async start({ runId, visibilityMs }) {
    Object.assign(process.env, credentials);
    const emulator = await EmulatorProcess.start("sqs");
    const client = new SQSClient({ region: "us-east-1", endpoint: emulator.endpoint });
    const queue = `chaos-${runId}`;
    const dlq = await client.send(new CreateQueueCommand({ QueueName: `${queue}-dlq` }));
    const dlqArn = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    const created = await client.send(
      new CreateQueueCommand({
        QueueName: queue,
        Attributes: {
          VisibilityTimeout: String(Math.ceil(visibilityMs / 1000)),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn.Attributes?.QueueArn,
            maxReceiveCount: "10",
          }),
        },
      }),
    );
    const url = `sqs://us-east-1/${queue}?endpoint=${encodeURIComponent(emulator.endpoint)}&visibility=${Math.ceil(visibilityMs / 1000)}s`;
    return {
      workers: { kind: "process", url, env: credentials },
      binaryBodies: false,
      open: () => openTransport(url),
      async sendRaw(bytes) {
        await client.send(
          new SendMessageCommand({
            QueueUrl: created.QueueUrl,
            MessageBody: new TextDecoder().decode(bytes),
          }),
        );
      },
      broker: { stall: (ms) => emulator.stall(ms) },
      async stop() {
        client.destroy();
        await emulator.stop();
      },
    };
  },
};

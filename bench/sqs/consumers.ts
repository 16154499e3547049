import { SQSClient } from "@aws-sdk/client-sqs";
import { countRequests, openTransport, RequestCounter } from "@mailroom/adapter-sqs";
import { createApp, silentLogger, Worker } from "@mailroom/core";
import { Consumer } from "sqs-consumer";
import { COUNT, measure, NAME, type RunResult } from "./shared.ts";

/** Mailroom's Worker on the `sqs://` transport; `options` are Worker options (defaults when empty). */
export async function mailroom(
  label: string,
  endpoint: string,
  queue: string,
  options: { concurrency?: number; receivers?: number } = {},
  count = COUNT,
): Promise<RunResult> {
  const transport = await openTransport(`sqs://us-east-1/${queue}?endpoint=${encodeURIComponent(endpoint)}`);
  return measure(label, count, transport.requests, async (onMessage) => {
    const app = createApp({ name: "bench", logger: silentLogger });
    app.handle(NAME, () => {
      onMessage();
    });
    const worker = new Worker(app, transport.source(), { logger: silentLogger, ...options });
    void worker.start();
    return async () => {
      await worker.stop();
      await transport.close();
    };
  });
}

/** sqs-consumer v15 with its own client, counted the same way. */
export async function sqsConsumer(
  label: string,
  endpoint: string,
  queue: string,
  options: { mode: "batch" | "single"; batchSize?: number; instances?: number },
  count = COUNT,
): Promise<RunResult> {
  const requests = new RequestCounter();
  const sqs = new SQSClient({ region: "us-east-1", endpoint });
  countRequests(sqs, requests);
  const queueUrl = `${endpoint}/000000000000/${queue}`;
  return measure(label, count, requests, async (onMessage) => {
    const consumers = Array.from({ length: options.instances ?? 1 }, () =>
      Consumer.create({
        queueUrl,
        sqs,
        batchSize: options.batchSize,
        ...(options.mode === "batch"
          ? {
              handleMessageBatch: async (messages) => {
                for (const m of messages) {
                  JSON.parse(m.Body ?? "null");
                  onMessage();
                }
                return messages;
              },
            }
          : {
              handleMessage: async (message) => {
                JSON.parse(message.Body ?? "null");
                onMessage();
                return message;
              },
            }),
      }),
    );
    for (const c of consumers) c.on("error", () => {});
    for (const c of consumers) c.start();
    return async () => {
      for (const c of consumers) c.stop({ abort: true });
      sqs.destroy();
    };
  });
}

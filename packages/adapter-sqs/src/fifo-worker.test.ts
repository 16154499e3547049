import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { createApp, Headers, jsonCodec, silentLogger, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { describe, expect, it } from "vitest";
import { packAttributes } from "./attributes.ts";
import { SqsQueue } from "./queue.ts";
import { SqsSource } from "./source.ts";

/**
 * Real SQS may return several messages of one FIFO group in a single receive (fauxqs returns one
 * per group), so this path is driven by an SQS client stand-in that answers one such receive.
 */
function fakeClient(first: Message[]) {
  const commands: Array<{ name: string; input: unknown }> = [];
  let served = false;
  const client = {
    async send(command: object, options?: { abortSignal?: AbortSignal }) {
      const input = (command as { input: unknown }).input;
      commands.push({ name: command.constructor.name, input });
      if (command instanceof ReceiveMessageCommand) {
        if (!served) {
          served = true;
          return { Messages: first };
        }
        const signal = options?.abortSignal;
        await new Promise<void>((resolve) => {
          if (signal?.aborted) resolve();
          signal?.addEventListener("abort", () => resolve(), { once: true });
        });
        return { Messages: [] };
      }
      // The worker's start-up check: the queue answers and has a FIFO dead-letter queue.
      if (command instanceof GetQueueAttributesCommand) {
        const deadLetterTargetArn = "arn:aws:sqs:us-east-1:123456789012:steps-dlq.fifo";
        return { Attributes: { QueueArn: "arn", RedrivePolicy: JSON.stringify({ deadLetterTargetArn }) } };
      }
      if (command instanceof GetQueueUrlCommand)
        return { QueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/steps-dlq.fifo" };
      if (
        command instanceof DeleteMessageBatchCommand ||
        command instanceof ChangeMessageVisibilityBatchCommand
      )
        return { Successful: [], Failed: [] };
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
  return { client: client as unknown as SQSClient, commands };
}

const message = (group: string, i: number, headers: Record<string, string> = {}): Message => ({
  MessageId: `${group}${i}`,
  ReceiptHandle: `rh-${group}${i}`,
  Body: JSON.stringify({ name: "step", data: { group, i } }),
  Attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()), MessageGroupId: group },
  MessageAttributes: packAttributes({ id: `${group}${i}`, headers }),
});

/** The visibility changes sent, by receipt handle. */
function visibilityOf(commands: Array<{ name: string; input: unknown }>): Record<string, number> {
  return Object.fromEntries(
    commands
      .filter((c) => c.name === ChangeMessageVisibilityBatchCommand.name)
      .flatMap((c) =>
        (c.input as { Entries: Array<{ ReceiptHandle: string; VisibilityTimeout: number }> }).Entries.map(
          (e) => [e.ReceiptHandle, e.VisibilityTimeout] as const,
        ),
      ),
  );
}

describe("FIFO: several messages of one group in a single receive", () => {
  it("run one at a time in order; a failure retries that message and gives back the rest of its group", async () => {
    const { client, commands } = fakeClient([
      message("a", 1),
      message("a", 2),
      message("a", 3),
      message("b", 1),
      message("b", 2),
    ]);
    const queue = new SqsQueue(client, "https://sqs.us-east-1.amazonaws.com/123456789012/steps.fifo");
    const source = new SqsSource(queue, { codec: jsonCodec(), waitTimeSeconds: 20 });
    const app = createApp({ name: "fifo", logger: silentLogger });
    const events: string[] = [];
    let running = new Set<string>();
    app.handle("step", async (data: unknown) => {
      const { group, i } = data as { group: string; i: number };
      expect([...running].some((k) => k.startsWith(group))).toBe(false);
      running.add(`${group}${i}`);
      events.push(`start ${group}${i}`);
      await new Promise((r) => setTimeout(r, 10));
      running.delete(`${group}${i}`);
      events.push(`end ${group}${i}`);
      if (group === "a" && i === 2) throw new Error("a2 fails");
    });
    const worker = new Worker(app, source, { concurrency: 8, logger: silentLogger });
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ count: 4 });
    await worker.stop();
    await source.close();
    running = new Set();

    expect(events.filter((e) => e.endsWith(" a1") || e.endsWith(" a2") || e.endsWith(" a3"))).toEqual([
      "start a1",
      "end a1",
      "start a2",
      "end a2",
    ]);
    expect(events.filter((e) => / b\d$/.test(e))).toEqual(["start b1", "end b1", "start b2", "end b2"]);
    // The groups ran side by side.
    expect(events.indexOf("start b1")).toBeLessThan(events.indexOf("end a1"));

    const deleted = commands
      .filter((c) => c.name === DeleteMessageBatchCommand.name)
      .flatMap((c) =>
        (c.input as { Entries: Array<{ ReceiptHandle: string }> }).Entries.map((e) => e.ReceiptHandle),
      );
    expect(deleted.sort()).toEqual(["rh-a1", "rh-b1", "rh-b2"]);
    const visibility = commands
      .filter((c) => c.name === ChangeMessageVisibilityBatchCommand.name)
      .flatMap((c) =>
        (c.input as { Entries: Array<{ ReceiptHandle: string; VisibilityTimeout: number }> }).Entries.map(
          (e) => [e.ReceiptHandle, e.VisibilityTimeout > 0 ? "later" : "now"] as const,
        ),
      );
    expect(Object.fromEntries(visibility)).toEqual({ "rh-a2": "later", "rh-a3": "now" });
    expect(events.some((e) => e.endsWith(" a3"))).toBe(false);
  });

  it("a head not due yet holds its group: the mates behind it are given back without running, other groups run", async () => {
    const due = new Date(Date.now() + 60_000).toISOString();
    const { client, commands } = fakeClient([
      message("a", 1, { [Headers.notBefore]: due }),
      message("a", 2),
      message("b", 1),
    ]);
    const queue = new SqsQueue(client, "https://sqs.us-east-1.amazonaws.com/123456789012/steps.fifo");
    const source = new SqsSource(queue, { codec: jsonCodec(), waitTimeSeconds: 20 });
    const app = createApp({ name: "fifo", logger: silentLogger });
    const ran: string[] = [];
    app.handle("step", (data: unknown) => {
      const { group, i } = data as { group: string; i: number };
      ran.push(`${group}${i}`);
    });
    const worker = new Worker(app, source, { concurrency: 8, logger: silentLogger });
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ count: 3 });
    await worker.stop();
    await source.close();
    expect(ran).toEqual(["b1"]);
    const visibility = visibilityOf(commands);
    expect(visibility["rh-a1"]).toBeGreaterThan(55);
    expect(visibility["rh-a2"]).toBe(0);
  });
});

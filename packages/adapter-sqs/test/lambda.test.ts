import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { createApp, Headers, PermanentError, silentLogger } from "@mailroom/core";
import middy from "@middy/core";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestCounter } from "../src/counter.ts";
import { toLambda } from "../src/lambda-entry.ts";
import { type Emulator, startEmulator } from "./helpers.ts";
import { eventFrom as receivedEvent } from "./lambda-events.ts";

/** The sample standard-queue event from the AWS Lambda developer guide ("Using Lambda with Amazon SQS"). */
const documentedEvent: SQSEvent = {
  Records: [
    {
      messageId: "059f36b4-87a3-44ab-83d2-661975830a7d",
      receiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
      body: "Test message.",
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "1545082649183",
        SenderId: "AIDAIENQZJOLO23YVJ4VO",
        ApproximateFirstReceiveTimestamp: "1545082649185",
      },
      messageAttributes: {
        myAttribute: {
          stringValue: "myValue",
          stringListValues: [],
          binaryListValues: [],
          dataType: "String",
        },
      },
      md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-2:123456789012:my-queue",
      awsRegion: "us-east-2",
    },
    {
      messageId: "2e1424d4-f796-459a-8184-9c92662be6da",
      receiptHandle: "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...",
      body: "Test message.",
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "1545082650636",
        SenderId: "AIDAIENQZJOLO23YVJ4VO",
        ApproximateFirstReceiveTimestamp: "1545082650649",
      },
      messageAttributes: {},
      md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-2:123456789012:my-queue",
      awsRegion: "us-east-2",
    },
  ],
};

/** The sample FIFO event from the same guide, one record per message of a FIFO batch. */
function fifoRecord(messageId: string, group: string, seq: number, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `AQEBBX8nesZEXmkhsmZeyIE8iQAMig7qw-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1573251510774",
      SequenceNumber: String(18849496460467696128n + BigInt(seq)),
      MessageGroupId: group,
      SenderId: "AIDAIO23YVJENQZJOL4VO",
      MessageDeduplicationId: messageId,
      ApproximateFirstReceiveTimestamp: "1573251510774",
    },
    messageAttributes: {},
    md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-2:123456789012:fifo.fifo",
    awsRegion: "us-east-2",
  };
}

const withBodies = (event: SQSEvent, bodies: string[]): SQSEvent => ({
  Records: event.Records.map((r, i) => ({ ...r, body: bodies[i] ?? r.body })),
});

/** An SQS client stand-in that records commands (for events whose queue does not exist here). */
function recordingClient() {
  const commands: Array<{ name: string; input: Record<string, unknown> }> = [];
  const client = {
    async send(command: { input: Record<string, unknown> }) {
      commands.push({ name: command.constructor.name, input: command.input });
      return { Successful: [], Failed: [] };
    },
  };
  return { client: client as unknown as SQSClient, commands };
}

describe("toLambda with the documented events, no network", () => {
  it("acks every record and creates no SDK client when nothing needs one", async () => {
    const app = createApp({ name: "fn", logger: silentLogger });
    const seen: unknown[] = [];
    app.handle("order_created", (data, ctx) => {
      seen.push([data, ctx.attempt, ctx.envelope.headers]);
    });
    let made = 0;
    const handler = toLambda(app, {
      client: () => {
        made++;
        throw new Error("no client expected");
      },
    });
    const event = withBodies(documentedEvent, [
      '{"name":"order_created","data":{"id":1}}',
      '{"name":"order_created","data":{"id":2}}',
    ]);
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(made).toBe(0);
    expect(seen).toEqual([
      [{ id: 1 }, 1, { myAttribute: "myValue" }],
      [{ id: 2 }, 1, {}],
    ]);
  });

  it("works as middy's base handler", async () => {
    const app = createApp({ name: "fn", logger: silentLogger });
    app.handle("order_created", () => {});
    const before: number[] = [];
    const handler = middy(toLambda(app)).use({
      before: (request) => {
        before.push((request.event as SQSEvent).Records.length);
      },
    });
    const event = withBodies(documentedEvent, [
      '{"name":"order_created","data":1}',
      '{"name":"nope","data":1}',
    ]);
    const { client, commands } = recordingClient();
    const withClient = middy(
      toLambda(app, { client, deadLetterQueue: "https://sqs.us-east-2.amazonaws.com/123456789012/my-dlq" }),
    );
    expect(
      await handler(
        withBodies(documentedEvent, [
          '{"name":"order_created","data":1}',
          '{"name":"order_created","data":2}',
        ]),
        {} as never,
      ),
    ).toEqual({
      batchItemFailures: [],
    });
    expect(before).toEqual([2]);
    expect(await withClient(event, {} as never)).toEqual({ batchItemFailures: [] });
    expect(commands.map((c) => c.name)).toEqual(["SendMessageCommand"]);
    expect(commands[0]!.input).toMatchObject({
      QueueUrl: "https://sqs.us-east-2.amazonaws.com/123456789012/my-dlq",
    });
  });

  it("FIFO batch: stops a group at its first failure and reports it and the rest of that group", async () => {
    const app = createApp({ name: "fn", logger: silentLogger });
    const ran: string[] = [];
    app.handle("step", (data: unknown, ctx) => {
      const { g, i } = data as { g: string; i: number };
      ran.push(`${g}${i}`);
      if (g === "1" && i === 2) ctx.retry({ delayMs: 30_000 });
    });
    const body = (g: string, i: number) => JSON.stringify({ name: "step", data: { g, i } });
    const event: SQSEvent = {
      Records: [
        fifoRecord("m-1-1", "1", 1, body("1", 1)),
        fifoRecord("m-2-1", "2", 2, body("2", 1)),
        fifoRecord("m-1-2", "1", 3, body("1", 2)),
        fifoRecord("m-1-3", "1", 4, body("1", 3)),
        fifoRecord("m-2-2", "2", 5, body("2", 2)),
      ],
    };
    const { client, commands } = recordingClient();
    const result = await toLambda(app, { client })(event);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-1-2" }, { itemIdentifier: "m-1-3" }]);
    expect(ran.filter((r) => r.startsWith("1"))).toEqual(["11", "12"]);
    expect(ran.filter((r) => r.startsWith("2"))).toEqual(["21", "22"]);
    // The retried message's visibility is set to its delay, so Lambda retries it (and its group)
    // then; the mate skipped behind it is visible again at once, to follow it in order.
    expect(new Set(commands.map((c) => [c.name, c.input.QueueUrl].join(" ")))).toEqual(
      new Set([
        `${ChangeMessageVisibilityBatchCommand.name} https://sqs.us-east-2.amazonaws.com/123456789012/fifo.fifo`,
      ]),
    );
    const entries = commands.flatMap(
      (c) => c.input.Entries as Array<{ ReceiptHandle: string; VisibilityTimeout: number }>,
    );
    expect(entries.map((e) => [e.ReceiptHandle.slice(-5), e.VisibilityTimeout])).toEqual([
      ["m-1-2", 30],
      ["m-1-3", 0],
    ]);
  });

  it("aborts ctx.signal shortly before the function times out", async () => {
    const app = createApp({ name: "fn", logger: silentLogger });
    let aborted = 0;
    app.handle("slow", async (_d, ctx) => {
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      aborted = Date.now();
    });
    const started = Date.now();
    const { client } = recordingClient();
    await toLambda(app, { client, timeoutMarginMs: 500 })(
      withBodies({ Records: [documentedEvent.Records[0]!] }, ['{"name":"slow","data":1}']),
      {
        getRemainingTimeInMillis: () => 800,
      },
    );
    expect(aborted - started).toBeGreaterThanOrEqual(250);
    expect(aborted - started).toBeLessThan(800);
  });
});

describe("toLambda against fauxqs", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(async () => {
    await emu.stop();
  });

  const eventFrom = (queue: string, count: number) => receivedEvent(emu, queue, count);

  it("retry sets the visibility to its delay and reports a failure; deadLetter lands in the DLQ and reports success", async () => {
    const q = `lambda-outcomes-${process.pid}`;
    const { url, dlqUrl } = emu.createQueue(q, { visibilitySeconds: 30 });
    for (const body of [
      '{"name":"flaky","data":1}',
      '{"name":"broken","data":2}',
      "Test message.",
      '{"name":"fine","data":3}',
    ]) {
      await emu.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    }
    const app = createApp({ name: "fn", logger: silentLogger });
    app.handle("flaky", (_d, ctx) => {
      if (ctx.attempt === 1) ctx.retry({ delayMs: 1_000 });
    });
    app.handle("broken", () => {
      throw new PermanentError("cannot ship");
    });
    app.handle("fine", () => {});
    const requests = new RequestCounter();
    const handler = toLambda(app, { endpoint: emu.endpoint, requests });
    const event = await eventFrom(q, 4);
    const flaky = event.Records.find((r) => r.body.includes("flaky"))!;
    const result = await handler(event);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: flaky.messageId }] });
    // One visibility batch, one GetQueueAttributes for the RedrivePolicy, two sends to the DLQ.
    expect(requests.snapshot()).toEqual({
      ChangeMessageVisibilityBatch: 1,
      GetQueueAttributes: 1,
      GetQueueUrl: 1,
      SendMessage: 2,
    });
    const dead = emu.server.inspectQueue(dlqUrl.split("/").at(-1)!)!.messages.ready;
    expect(dead.map((m) => m.messageAttributes[Headers.deadLetterReason]!.StringValue).sort()).toEqual([
      expect.stringMatching(/^decode_failed: body is not JSON/),
      "permanent_error: cannot ship",
    ]);
    // Lambda would now delete the successes; the retried message comes back after its delay.
    const again = await eventFrom(q, 1);
    expect(again.Records.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount])).toContainEqual([
      flaky.messageId,
      "2",
    ]);
    const second = await handler({ Records: again.Records.filter((r) => r.messageId === flaky.messageId) });
    expect(second).toEqual({ batchItemFailures: [] });
  });

  it("ctx.publish creates the client on first use and sends to the event's queue", async () => {
    const q = `lambda-publish-${process.pid}`;
    const { url } = emu.createQueue(q);
    await emu.client.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: '{"name":"order_created","data":{"id":7}}' }),
    );
    const app = createApp({ name: "fn", logger: silentLogger });
    app.handle("order_created", async (data: unknown, ctx) => {
      await ctx.publish("invoice_requested", { order: (data as { id: number }).id });
    });
    app.handle("invoice_requested", () => {});
    const handler = toLambda(app, { endpoint: emu.endpoint });
    expect(await handler(await eventFrom(q, 1))).toEqual({ batchItemFailures: [] });
    const next = await eventFrom(q, 1);
    expect(JSON.parse(next.Records[0]!.body)).toEqual({ name: "invoice_requested", data: { order: 7 } });
    expect(next.Records[0]!.messageAttributes["mailroom-name"]!.stringValue).toBe("invoice_requested");
  });
});

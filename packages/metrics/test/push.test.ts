// Per-invocation figures of the push runtimes: CloudWatch Embedded Metric Format lines from
// toLambda (a real SQS event from fauxqs) and toAliyunFC (an MNS queue trigger event against the
// MNS-protocol test server), and the Prometheus middleware counting the same invocations.
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { createApp, PermanentError, silentLogger } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toAliyunFC } from "../../adapter-mns/src/index.ts";
import type { MnsTestServer } from "../../adapter-mns/src/testing/index.ts";
import { b64, fcKeys, mailroomBody, queueEvent } from "../../adapter-mns/test/fc-events.ts";
import { client, server, uniqueQueue } from "../../adapter-mns/test/helpers.ts";
import { toLambda } from "../../adapter-sqs/src/lambda-entry.ts";
import { type Emulator, startEmulator } from "../../adapter-sqs/test/helpers.ts";
import { eventFrom } from "../../adapter-sqs/test/lambda-events.ts";
import { embeddedMetrics, prometheusMetrics } from "../src/index.ts";

let emu: Emulator;
let mns: MnsTestServer;
beforeAll(async () => {
  [emu, mns] = await Promise.all([startEmulator(), server()]);
});
afterAll(async () => {
  await emu.stop();
  await mns.close();
});

interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

function shop(lines: string[]) {
  const app = createApp({ name: "shop", logger: silentLogger });
  app.use(
    embeddedMetrics({
      namespace: "Shop",
      service: "orders",
      write: (l) => void lines.push(l),
      enabled: true,
    }),
  );
  app.handle("order_created", async () => {});
  app.handle("refund_issued", async () => {
    throw new PermanentError("refunds are closed");
  });
  return app;
}

describe("embeddedMetrics", () => {
  it("toLambda writes one EMF line per message name of each invocation, with counts, durations and ages", async () => {
    const queue = `emf-${process.pid}`;
    const { url } = emu.createQueue(queue);
    for (const body of [
      '{"name":"order_created","data":{"id":1}}',
      '{"name":"order_created","data":{"id":2}}',
      '{"name":"refund_issued","data":{"id":3}}',
    ]) {
      await emu.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    }
    const lines: string[] = [];
    const app = shop(lines);
    const prom = prometheusMetrics();
    app.use(prom.middleware);
    const handler = toLambda(app, { endpoint: emu.endpoint });
    expect(await handler(await eventFrom(emu, queue, 3))).toEqual({ batchItemFailures: [] });

    const parsed = lines.map((l) => JSON.parse(l) as EmfLine);
    expect(parsed.map((l) => l.name).sort()).toEqual(["order_created", "refund_issued"]);
    const created = parsed.find((l) => l.name === "order_created")!;
    expect(created).toMatchObject({
      service: "orders",
      transport: "sqs",
      queue,
      Received: 2,
      Acked: 2,
      Retried: 0,
      DeadLettered: 0,
    });
    const directive = created._aws.CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe("Shop");
    expect(directive.Dimensions).toEqual([
      ["service", "transport"],
      ["service", "transport", "name"],
    ]);
    // Every metric the directive names is a value on the line, as CloudWatch requires.
    for (const m of directive.Metrics) expect(created[m.Name], m.Name).toBeDefined();
    expect(created.HandlerDuration).toHaveLength(2);
    expect(created.MessageAge).toHaveLength(2);
    expect(Math.abs(created._aws.Timestamp - Date.now())).toBeLessThan(60_000);
    expect(parsed.find((l) => l.name === "refund_issued")).toMatchObject({ Received: 1, DeadLettered: 1 });

    const text = await prom.registry.metrics();
    expect(text).toMatch(
      /mailroom_messages_received_total\{name="order_created",transport="sqs",queue="[^"]+"\} 2/,
    );
    expect(text).toMatch(
      /mailroom_messages_dead_lettered_total\{name="refund_issued",transport="sqs",queue="[^"]+"\} 1/,
    );
  });

  it("toAliyunFC writes the same lines for an MNS queue trigger", async () => {
    const queue = uniqueQueue("emf");
    await client(mns).createQueue(queue);
    await client(mns).createQueue(`${queue}-dlq`);
    const lines: string[] = [];
    const handler = toAliyunFC(shop(lines), fcKeys(mns));
    const body = b64(mailroomBody("order_created", { id: 1 }));
    expect(await handler(JSON.stringify(queueEvent(mns, queue, body, `${queue}-1`)))).toMatchObject({
      acked: 1,
    });
    const [line] = lines.map((l) => JSON.parse(l) as EmfLine);
    expect(lines).toHaveLength(1);
    expect(line).toMatchObject({ name: "order_created", transport: "mns", queue, Received: 1, Acked: 1 });
  });

  it("is off under a test runner unless asked, and when MAILROOM_METRICS_DISABLED=true", () => {
    expect(embeddedMetrics().dispatched).toBeUndefined();
    const saved = process.env.MAILROOM_METRICS_DISABLED;
    process.env.MAILROOM_METRICS_DISABLED = "false";
    try {
      expect(embeddedMetrics().dispatched).toBeDefined();
      process.env.MAILROOM_METRICS_DISABLED = "true";
      expect(embeddedMetrics().dispatched).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.MAILROOM_METRICS_DISABLED;
      else process.env.MAILROOM_METRICS_DISABLED = saved;
    }
  });
});

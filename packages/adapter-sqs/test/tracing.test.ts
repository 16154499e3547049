// Tracing on by default across Amazon SQS and Lambda: with an SDK registered (in-memory
// exporter), a publish through the SQS publisher is a PRODUCER span whose context travels in the
// message attributes; toLambda continues it in a CONSUMER span; the handler's forward is a
// PRODUCER span under it, and the next invocation continues that one: one trace across two
// invocations, as the messaging conventions name it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectChain, forwardingApp, inMemoryTracing, runChain } from "../../core/test/tracing-sdk.ts";
import { toLambda } from "../src/lambda-entry.ts";
import { type Emulator, startEmulator } from "./helpers.ts";
import { eventFrom } from "./lambda-events.ts";

const exporter = inMemoryTracing();
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});

describe("tracing on Amazon SQS", () => {
  it("a Worker chains publish → consume → publish → consume in one trace", async () => {
    const queue = `tracing-worker-${process.pid}`;
    const t = await emu.open(queue, { waitTimeSeconds: 1 });
    try {
      await runChain(t, { name: "order_created", data: {}, id: "m-worker" });
    } finally {
      await t.close();
    }
    expectChain(exporter.getFinishedSpans(), { system: "aws_sqs", queue, messageId: "m-worker" });
  }, 30_000);

  it("toLambda continues the trace from the record's attributes, and the next invocation from the forward's", async () => {
    const queue = `tracing-lambda-${process.pid}`;
    const t = await emu.open(queue);
    try {
      await t.publisher().publish([{ name: "order_created", data: {}, id: "m-lambda" }]);
    } finally {
      await t.close();
    }
    const handler = toLambda(forwardingApp(), { endpoint: emu.endpoint });
    const first = await eventFrom(emu, queue, 1);
    expect(first.Records[0]!.messageAttributes.traceparent?.stringValue).toMatch(/^00-[0-9a-f]{32}-/);
    expect(await handler(first)).toEqual({ batchItemFailures: [] });
    const second = await eventFrom(emu, queue, 1);
    expect(await handler(second)).toEqual({ batchItemFailures: [] });
    expectChain(exporter.getFinishedSpans(), { system: "aws_sqs", queue, messageId: "m-lambda" });
  }, 30_000);
});

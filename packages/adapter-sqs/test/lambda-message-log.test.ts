import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { createApp, PermanentError, silentLogger } from "@mailroom/core";
import { messageLog, sqliteMessageLog } from "@mailroom/core/message-log";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toLambda } from "../src/lambda-entry.ts";
import { type Emulator, startEmulator } from "./helpers.ts";
import { eventFrom } from "./lambda-events.ts";

describe("the message log through toLambda", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(async () => {
    await emu.stop();
  });

  it("records every record of each invocation — settled without a run too — and lineage follows ctx.forward across invocations", async () => {
    const q = `lambda-message-log-${process.pid}`;
    const { url } = emu.createQueue(q);
    for (const body of [
      '{"name":"order_created","data":{"id":7}}',
      '{"name":"refund_issued","data":1}',
      "Test message.",
    ]) {
      await emu.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    }
    const log = sqliteMessageLog(":memory:");
    const app = createApp({ name: "fn", logger: silentLogger });
    app.use(messageLog({ sink: log }));
    app.handle("order_created", async (data: unknown, ctx) => {
      await ctx.forward("invoice_requested", { order: (data as { id: number }).id });
    });
    app.handle("invoice_requested", () => {
      throw new PermanentError("no invoice for you");
    });
    const handler = toLambda(app, { endpoint: emu.endpoint });

    const first = await eventFrom(emu, q, 3);
    expect(await handler(first)).toEqual({ batchItemFailures: [] });
    const second = await eventFrom(emu, q, 1);
    expect(await handler(second)).toEqual({ batchItemFailures: [] });

    const order = first.Records.find((r) => r.body.includes("order_created"))!;
    const [root] = log.get(order.messageId);
    expect(root).toMatchObject({
      name: "order_created",
      outcome: "ack",
      attempt: 1,
      transport: "sqs",
      queue: q,
    });
    const unknown = log.recent({ name: "refund_issued" });
    expect(unknown.map((e) => [e.outcome, e.reason])).toEqual([
      ["deadLetter", "unknown_message_name: refund_issued"],
    ]);
    expect(log.recent({ outcome: "deadLetter" }).some((e) => e.reason?.startsWith("decode_failed"))).toBe(
      true,
    );

    const tree = log.lineage(order.messageId)!;
    expect(tree.descendants.map((n) => [n.entry.name, n.entry.outcome, n.entry.reason])).toEqual([
      ["invoice_requested", "deadLetter", "permanent_error: no invoice for you"],
    ]);
    expect(log.lineage(tree.descendants[0]!.entry.id)!.ancestors.map((e) => e.id)).toEqual([order.messageId]);
    await log.close();
  });
});

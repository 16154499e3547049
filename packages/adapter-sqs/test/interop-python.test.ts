import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createApp,
  type Envelope,
  isDecodeFailure,
  PermanentError,
  silentLogger,
  Worker,
} from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
// The Python runner is shared with the AMQP interop tests; its natural home is @mailroom/core/testkit.
import { requirePythonModules, runPython } from "../../adapter-amqp/test/python.ts";
import type { SqsTransport } from "../src/transport.ts";
import { type Emulator, startEmulator } from "./helpers.ts";

// Real boto3 (Debian's python3-boto3, installed by scripts/services.sh) talking to Mailroom through
// fauxqs. Debian's botocore 1.29 speaks SQS's query protocol, which fauxqs lacks; test/python/interop.py
// gives it the JSON protocol that current boto3 uses — the calls and the messages are the same.

let emu: Emulator;
let n = 0;
const name = (what: string) => `py-${what}-${process.pid}-${n++}`;
const py = (script: string) => join(import.meta.dirname, "python", script);
const stops: Array<() => Promise<void>> = [];
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/** The Python scripts' temp directory: one folder of ours, checked empty and removed after. */
const pythonTmp = mkdtempSync(join(tmpdir(), "mailroom-sqs-interop-"));

beforeAll(async () => {
  emu = await startEmulator();
});
// In beforeEach, so that without boto3 every test fails with the fix (a failing beforeAll would
// report them as skipped).
beforeEach(() => requirePythonModules(["boto3"]));
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await emu?.stop();
  rmSync(pythonTmp, { recursive: true, force: true });
});

/** Credentials and region for boto3, as a service has them in its environment. */
function awsEnv(): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
    TMPDIR: pythonTmp,
  };
}

function boto3(script: string, args: string[]) {
  return runPython(py(script), ["--endpoint", emu.endpoint, ...args], awsEnv());
}

/** The message attributes of a line boto3_receive.py printed. */
function attrs(line: Record<string, unknown> | undefined): Record<string, string> {
  return (line?.attributes ?? {}) as Record<string, string>;
}

async function open(queue: string): Promise<SqsTransport> {
  const t = await emu.open(queue, { waitTimeSeconds: 1 });
  stops.push(() => t.close());
  return t;
}

function run(app: ReturnType<typeof createApp>, t: SqsTransport) {
  const worker = new Worker(app, t.source(), {
    concurrency: 8,
    logger: silentLogger,
    publisher: t.publisher(),
  });
  const spy = new HandlerSpy(worker);
  void worker.start();
  stops.push(() => worker.stop());
  return { worker, spy };
}

describe("boto3 producers → Mailroom worker", () => {
  it("handles send_message bodies json.dumps({name, data}) with no attributes, and send_message_batch", async () => {
    const q = name("send");
    const t = await open(q);
    const { url } = emu.createQueue(q);
    const seen: Envelope[] = [];
    const app = createApp({ name: "t", logger: silentLogger });
    const record = (_data: unknown, ctx: { envelope: Envelope }) => {
      seen.push(ctx.envelope);
    };
    app.handle("order_created", record);
    app.handle("score_updated", record);
    const { spy } = run(app, t);

    const single = [
      { name: "order_created", data: { id: "o-1", total: 9.5, lines: [{ sku: "A" }] } },
      { name: "score_updated", data: 42 },
      { name: "score_updated", data: "plain string", attributes: { tenant: "acme" } },
    ];
    const batch = Array.from({ length: 13 }, (_, i) => ({ name: "order_created", data: { id: `b-${i}` } }));
    const sentSingle = await boto3("boto3_send.py", [
      ...["--queue-url", url, "--mode", "single", "--messages", JSON.stringify(single)],
    ]);
    const sentBatch = await boto3("boto3_send.py", [
      ...["--queue-url", url, "--mode", "batch", "--messages", JSON.stringify(batch)],
    ]);
    expect(sentSingle).toHaveLength(3);
    expect(sentBatch).toHaveLength(13);
    await spy.waitFor({ outcome: "ack", count: 16 });

    expect(seen).toHaveLength(16);
    const byId = new Map(seen.map((e) => [e.id, e]));
    for (const [i, s] of [...sentSingle, ...sentBatch].entries()) {
      const sent = i < 3 ? single[i] : batch[i - 3];
      // With no attributes, the envelope id is SQS's MessageId: logs on both sides match.
      const e = byId.get(s.message_id as string);
      expect(e).toMatchObject({ name: sent?.name, data: sent?.data, attempt: 1 });
    }
    expect(byId.get(sentSingle[2]?.message_id as string)?.headers).toMatchObject({ tenant: "acme" });
  });
});

describe("boto3 scripts clean up", () => {
  it("leave nothing behind in the temp directory", async () => {
    const q = name("tmp");
    const { url } = emu.createQueue(q);
    await boto3("boto3_send.py", [
      ...["--queue-url", url, "--mode", "single"],
      ...["--messages", JSON.stringify([{ name: "noop", data: 1 }])],
    ]);
    await boto3("boto3_receive.py", ["--queue-url", url, "--count", "1"]);
    expect(readdirSync(pythonTmp)).toEqual([]);
  });
});

describe("many boto3 messages", () => {
  it("500 messages from send_message_batch are each handled exactly once", async () => {
    const q = name("many");
    const t = await open(q);
    const { url } = emu.createQueue(q);
    const counts = new Map<number, number>();
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("tick", (data) => {
      const n = data as number;
      counts.set(n, (counts.get(n) ?? 0) + 1);
    });
    const { spy } = run(app, t);
    const sent = Array.from({ length: 500 }, (_, i) => ({ name: "tick", data: i }));
    await boto3("boto3_send.py", ["--queue-url", url, "--mode", "batch", "--messages", JSON.stringify(sent)]);
    await spy.waitFor({ name: "tick", outcome: "ack", count: 500 });
    expect(counts.size).toBe(500);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
  });
});

describe("boto3 producers → Mailroom worker on a FIFO queue", () => {
  it("messages sent with MessageGroupId run in order within each group", async () => {
    const q = `${name("fifo")}.fifo`;
    const t = await open(q);
    const { url } = emu.createQueue(q);
    const runs: Array<{ group: string | undefined; seq: number }> = [];
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("ledger_entry", async (data, ctx) => {
      const { seq } = data as { seq: number };
      // Uneven handler times: order must come from the groups, not from luck.
      await new Promise((resolve) => setTimeout(resolve, (seq * 7) % 20));
      runs.push({ group: ctx.envelope.transport.groupId, seq });
    });
    const { spy } = run(app, t);
    const sent = ["acct-1", "acct-2"].flatMap((group) =>
      Array.from({ length: 5 }, (_, seq) => ({ name: "ledger_entry", data: { seq }, group })),
    );
    await boto3("boto3_send.py", [
      "--queue-url",
      url,
      "--mode",
      "single",
      "--messages",
      JSON.stringify(sent),
    ]);
    await spy.waitFor({ outcome: "ack", count: 10 });
    for (const group of ["acct-1", "acct-2"]) {
      expect(runs.filter((r) => r.group === group).map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    }
  });
});

describe("Mailroom publishers → boto3 consumer", () => {
  it("receive_message reads the {name, data} body and Mailroom's attributes of publishes (delayed too) and ctx.forward", async () => {
    const q = name("out");
    const out = name("out-python");
    const t = await open(q);
    const { url: outUrl } = emu.createQueue(out);
    const app = createApp({ name: "orders", logger: silentLogger });
    app.handle("order_created", async (data, ctx) => {
      const order = data as { id: string; total: number };
      await ctx.forward("invoice_requested", { orderId: order.id, amount: order.total }, { to: out });
    });
    const { spy } = run(app, t);

    const publishedAt = Date.now();
    await t.publisher().publish([
      {
        id: "mr-shipped-1",
        name: "order_shipped",
        data: { id: "o-9", carrier: "dhl" },
        correlationId: "corr-shipped",
        headers: { traceparent: TRACEPARENT, tenant: "acme" },
        to: out,
      },
    ]);
    await t.publisher().publish([{ id: "mr-later-1", name: "reminder_due", data: 7, to: out }], {
      delayMs: 2_000,
    });
    await t.publisher().publish([
      {
        id: "mr-created-1",
        name: "order_created",
        data: { id: "o-10", total: 99 },
        correlationId: "corr-created",
        headers: { traceparent: TRACEPARENT },
      },
    ]);
    await spy.waitFor({ id: "mr-created-1", outcome: "ack" });

    const lines = (
      await boto3("boto3_receive.py", ["--queue-url", outUrl, "--count", "3", "--timeout", "15"])
    ).filter((l) => l.ready === undefined);
    const byName = Object.fromEntries(lines.map((l) => [(l.body as { name: string }).name, l]));

    const shipped = byName.order_shipped;
    expect(shipped?.body).toEqual({ name: "order_shipped", data: { id: "o-9", carrier: "dhl" } });
    expect(shipped?.attributes).toMatchObject({
      "mailroom-id": "mr-shipped-1",
      "mailroom-name": "order_shipped",
      traceparent: TRACEPARENT,
    });
    const shippedMeta = JSON.parse(String(attrs(shipped)["mailroom-meta"]));
    expect(shippedMeta).toMatchObject({ correlationId: "corr-shipped", headers: { tenant: "acme" } });
    expect(Date.parse(shippedMeta.publishedAt)).toBeGreaterThanOrEqual(publishedAt - 1_000);

    const invoice = byName.invoice_requested;
    expect(invoice?.body).toEqual({ name: "invoice_requested", data: { orderId: "o-10", amount: 99 } });
    expect(invoice?.attributes).toMatchObject({
      "mailroom-name": "invoice_requested",
      traceparent: TRACEPARENT,
    });
    const invoiceMeta = JSON.parse(String(attrs(invoice)["mailroom-meta"]));
    expect(invoiceMeta).toMatchObject({ parentId: "mr-created-1", correlationId: "corr-created" });

    const later = byName.reminder_due;
    expect(later?.body).toEqual({ name: "reminder_due", data: 7 });
    expect(later?.attributes).toMatchObject({ "mailroom-id": "mr-later-1", "mailroom-name": "reminder_due" });
    // DelaySeconds: not visible to boto3 before the delay (SQS's delay granularity is 1 s).
    expect(Number(later?.received_at)).toBeGreaterThanOrEqual(publishedAt + 1_900);
    expect(Number(later?.received_at)).toBeGreaterThan(Number(shipped?.received_at));
  });
});

describe("a conversation boto3 → Mailroom → boto3", () => {
  it("the follow-up carries the boto3 message's traceparent attribute and names it as parent and conversation", async () => {
    const q = name("conv");
    const out = name("conv-python");
    const t = await open(q);
    const { url } = emu.createQueue(q);
    const { url: outUrl } = emu.createQueue(out);
    const app = createApp({ name: "orders", logger: silentLogger });
    app.handle("order_created", async (data, ctx) => {
      await ctx.forward("invoice_requested", { orderId: (data as { id: string }).id }, { to: out });
    });
    const { spy } = run(app, t);
    // OpenTelemetry's Python SQS instrumentations inject the trace context as a message attribute.
    const [sent] = await boto3("boto3_send.py", [
      ...["--queue-url", url, "--mode", "single"],
      ...[
        "--messages",
        JSON.stringify([
          { name: "order_created", data: { id: "o-5" }, attributes: { traceparent: TRACEPARENT } },
        ]),
      ],
    ]);
    const messageId = sent?.message_id as string;
    await spy.waitFor({ id: messageId, outcome: "ack" });
    const [followUp] = (await boto3("boto3_receive.py", ["--queue-url", outUrl, "--count", "1"])).filter(
      (l) => l.ready === undefined,
    );
    expect(followUp?.body).toEqual({ name: "invoice_requested", data: { orderId: "o-5" } });
    expect(attrs(followUp)).toMatchObject({ "mailroom-name": "invoice_requested", traceparent: TRACEPARENT });
    expect(JSON.parse(attrs(followUp)["mailroom-meta"] ?? "{}")).toMatchObject({
      parentId: messageId,
      correlationId: messageId,
    });
  });
});

describe("dead letters read by boto3", () => {
  it("receive_message on the DLQ reads the body unchanged with the reason, attempt and original queue", async () => {
    const q = name("dead");
    const t = await open(q);
    const { url, dlqUrl } = emu.createQueue(q);
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("charge_card", (data) => {
      throw new PermanentError(`card ${(data as { card: string }).card} is blocked`);
    });
    const { spy, worker } = run(app, t);
    await boto3("boto3_send.py", [
      ...["--queue-url", url, "--mode", "single"],
      ...["--messages", JSON.stringify([{ name: "charge_card", data: { card: "c-13" } }])],
    ]);
    await boto3("boto3_send.py", [
      ...["--queue-url", url, "--mode", "raw", "--messages", JSON.stringify([{ body: "{not json" }])],
    ]);
    const dead = await spy.waitFor({ outcome: "deadLetter", count: 2 });
    expect(dead.filter((r) => isDecodeFailure(r.envelope))).toHaveLength(1);
    expect(worker.state).toBe("running");

    const lines = (await boto3("boto3_receive.py", ["--queue-url", dlqUrl, "--count", "2"])).filter(
      (l) => l.ready === undefined,
    );
    const card = lines.find((l) => l.body_text !== "{not json");
    const poison = lines.find((l) => l.body_text === "{not json");
    expect(card?.body).toEqual({ name: "charge_card", data: { card: "c-13" } });
    expect(card?.attributes).toMatchObject({
      "mailroom-dead-letter-reason": "permanent_error: card c-13 is blocked",
      "mailroom-attempt": "1",
      "mailroom-original-queue": q,
    });
    expect(poison?.attributes).toMatchObject({ "mailroom-attempt": "1", "mailroom-original-queue": q });
    expect(attrs(poison)["mailroom-dead-letter-reason"]).toMatch(/^decode_failed: /);
    for (const l of [card, poison]) {
      expect(Date.parse(attrs(l)["mailroom-dead-lettered-at"] ?? "")).not.toBeNaN();
    }
  });
});

describe("a boto3 producer's own attributes through the dead-letter queue", () => {
  // The re-sent copy keeps the attributes Mailroom did not write as they came (type and value,
  // Binary included); only what would pass SQS's 10-attribute limit is folded into mailroom-meta.
  it("keeps the producer's String, Number and Binary attributes as attributes of the same type", async () => {
    const q = name("dead-attrs");
    const t = await open(q);
    const { url, dlqUrl } = emu.createQueue(q);
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("charge_card", () => {
      throw new PermanentError("card declined");
    });
    const { spy } = run(app, t);
    await boto3("boto3_send.py", [
      ...["--queue-url", url, "--mode", "single"],
      ...[
        "--messages",
        JSON.stringify([
          {
            name: "charge_card",
            data: { card: "c-2" },
            attributes: { tenant: "acme" },
            typed_attributes: true,
          },
        ]),
      ],
    ]);
    await spy.waitFor({ name: "charge_card", outcome: "deadLetter" });
    const [dead] = (await boto3("boto3_receive.py", ["--queue-url", dlqUrl, "--count", "1"])).filter(
      (l) => l.ready === undefined,
    );
    expect(attrs(dead)).toMatchObject({
      "mailroom-dead-letter-reason": "permanent_error: card declined",
      tenant: "acme",
      priority: "5",
      signature: { base64: Buffer.from("\x00\xffsig", "latin1").toString("base64") },
    });
    expect(dead?.attribute_types).toMatchObject({
      tenant: "String",
      priority: "Number",
      signature: "Binary",
    });
  });
});

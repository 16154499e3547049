import * as v from "valibot";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createApp } from "./app.ts";
import { defineHandler, registerAll } from "./definition.ts";
import { RELAXED_MESSAGE_NAME } from "./envelope.ts";
import { ConfigError, PermanentError } from "./errors.ts";
import { silentLogger } from "./logger.ts";
import { testApp } from "./testkit/index.ts";

const app = () => createApp({ name: "t", logger: silentLogger });

describe("App registry", () => {
  it("refuses a second handler for a name, naming both places", () => {
    const a = app().handle("order_created", () => {});
    let error: unknown;
    try {
      a.handle("order_created", () => {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /a handler for "order_created" is already registered at .*app\.test\.ts:\d+; the second registration is at .*app\.test\.ts:\d+/,
    );
  });

  it("refuses names outside lowercase letters, digits and underscores", () => {
    expect(() => app().handle("OrderCreated", () => {})).toThrow(/invalid message name "OrderCreated"/);
    expect(() => app().handle("order.created", () => {})).toThrow(ConfigError);
  });

  it("infers handler data from a zod schema and validates before the handler runs", async () => {
    const a = app();
    const seen: number[] = [];
    a.handle("order_created", { schema: z.object({ total: z.number() }) }, (data) => {
      expectTypeOf(data).toEqualTypeOf<{ total: number }>();
      seen.push(data.total);
    });
    const t = testApp(a);
    expect((await t.send("order_created", { total: 5 })).outcome).toEqual({ kind: "ack" });
    const bad = await t.send("order_created", { total: "five" });
    expect(bad.outcome).toMatchObject({ kind: "deadLetter" });
    expect((bad.outcome as { reason: string }).reason).toMatch(/^schema_validation_failed: total: /);
    expect(seen).toEqual([5]);
  });

  it("works with valibot through Standard Schema, applying transforms", async () => {
    const a = app();
    let got: unknown;
    a.handle(
      "user_seen",
      {
        schema: v.pipe(
          v.object({ name: v.string() }),
          v.transform((x) => x.name.toUpperCase()),
        ),
      },
      (data) => {
        expectTypeOf(data).toEqualTypeOf<string>();
        got = data;
      },
    );
    await testApp(a).send("user_seen", { name: "ada" });
    expect(got).toBe("ADA");
  });

  it("dead-letters unknown names by default, or acks them when configured", async () => {
    expect((await testApp(app()).send("nobody_home", {})).outcome).toEqual({
      kind: "deadLetter",
      reason: "unknown_message_name: nobody_home",
    });
    const lax = createApp({ name: "t", logger: silentLogger, unknownMessages: "ack" });
    expect((await testApp(lax).send("nobody_home", {})).outcome).toEqual({ kind: "ack" });
  });

  it("maps return, throw, PermanentError and ctx.retry to ack, backoff retry, dead-letter and a chosen delay", async () => {
    const a = createApp({
      name: "t",
      logger: silentLogger,
      retry: { maxAttempts: 3, baseDelayMs: 100, jitter: "none" },
    });
    a.handle("ok", () => {});
    a.handle("flaky", () => {
      throw new Error("boom");
    });
    a.handle("bad", () => {
      throw new PermanentError("no such order");
    });
    a.handle("later", (_d, ctx) => ctx.retry({ delayMs: 7_000 }));
    const t = testApp(a);
    expect((await t.send("ok", 1)).outcome).toEqual({ kind: "ack" });
    expect((await t.send("flaky", 1)).outcome).toMatchObject({ kind: "retry", delayMs: 100 });
    expect((await t.send("flaky", 1, { attempt: 2 })).outcome).toMatchObject({ kind: "retry", delayMs: 200 });
    expect((await t.send("flaky", 1, { attempt: 3 })).outcome).toEqual({
      kind: "deadLetter",
      reason: "max_attempts_exceeded: failed 3 of 3 attempts; last error: Error: boom",
    });
    expect((await t.send("bad", 1)).outcome).toEqual({
      kind: "deadLetter",
      reason: "permanent_error: no such order",
    });
    expect((await t.send("later", 1)).outcome).toMatchObject({ kind: "retry", delayMs: 7_000 });
  });

  it("dead-letters before running when the transport's count is already past maxAttempts", async () => {
    const a = app();
    let runs = 0;
    a.handle("crashy", { retry: { maxAttempts: 2 } }, () => {
      runs++;
    });
    const r = await testApp(a).send("crashy", {}, { attempt: 3 });
    expect(r.outcome).toMatchObject({
      kind: "deadLetter",
      reason: expect.stringMatching(/^max_attempts_exceeded: delivered 3 times/),
    });
    expect(runs).toBe(0);
  });

  it("times out a slow handler, aborting ctx.signal, and retries it", async () => {
    const a = app();
    let aborted = false;
    a.handle("slow", { timeoutMs: 20 }, async (_d, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      aborted = ctx.signal.aborted;
    });
    const r = await testApp(a).send("slow", {});
    expect(r.outcome).toMatchObject({ kind: "retry", error: expect.objectContaining({ code: "timeout" }) });
    expect(aborted).toBe(true);
  });

  it("ctx.publish keeps the conversation, ctx.forward the lineage, and both carry traceparent", async () => {
    const a = app();
    a.handle("order_created", async (_d, ctx) => {
      await ctx.publish("invoice_requested", { n: 1 });
      await ctx.forward("order_archived", { n: 2 }, { to: "archive", delayMs: 5000 });
    });
    const trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const r = await testApp(a).send(
      "order_created",
      {},
      { id: "m-1", correlationId: "conv-9", headers: { traceparent: trace } },
    );
    expect(r.published).toEqual([
      expect.objectContaining({
        name: "invoice_requested",
        correlationId: "conv-9",
        headers: { traceparent: trace },
      }),
      expect.objectContaining({
        name: "order_archived",
        parentId: "m-1",
        correlationId: "conv-9",
        to: "archive",
        options: expect.objectContaining({ delayMs: 5000 }),
      }),
    ]);
  });

  it("a handler's return value is sent as the reply when replyTo is set", async () => {
    const a = app();
    a.handle("price_quote", (data) => ({ price: (data as { qty: number }).qty * 3 }));
    const r = await testApp(a).send(
      "price_quote",
      { qty: 2 },
      { id: "req-1", replyTo: "amq.rabbitmq.reply-to.abc" },
    );
    expect(r.published).toEqual([
      expect.objectContaining({
        reply: true,
        to: "amq.rabbitmq.reply-to.abc",
        correlationId: "req-1",
        data: { price: 6 },
      }),
    ]);
  });

  it("registers handler definitions from files", async () => {
    const def = defineHandler("file_based", { schema: z.object({ a: z.string() }) }, (data) => {
      expectTypeOf(data).toEqualTypeOf<{ a: string }>();
    });
    const a = registerAll(app(), [def]);
    expect(a.names()).toEqual(["file_based"]);
    expect((await testApp(a).send("file_based", { a: "x" })).outcome.kind).toBe("ack");
  });
});

describe("handler definitions", () => {
  it("a duplicate name from two definitions names both defining places", () => {
    const first = defineHandler("dup_name", {}, () => {});
    const second = defineHandler("dup_name", {}, () => {});
    expect(() => registerAll(app(), [first, second])).toThrow(
      /already registered at .*app\.test\.ts:\d+; the second registration is at .*app\.test\.ts:\d+/,
    );
    expect(first.source).not.toBe(second.source);
  });
});

describe("names producers send", () => {
  it("a handler's aliases run it for a producer's names; the envelope keeps the name as sent", async () => {
    const app = createApp({ name: "t", logger: silentLogger });
    const seen: string[] = [];
    app.handle("order_created", { aliases: ["order.created", "OrderCreated"] }, (_d, ctx) => {
      seen.push(ctx.envelope.name);
    });
    const t = testApp(app);
    for (const name of ["order_created", "order.created", "OrderCreated"]) {
      expect((await t.send(name, {})).outcome.kind).toBe("ack");
    }
    expect((await t.send("order-created", {})).outcome).toEqual({
      kind: "deadLetter",
      reason: "unknown_message_name: order-created",
    });
    expect(seen).toEqual(["order_created", "order.created", "OrderCreated"]);
    expect(app.names().sort()).toEqual(["OrderCreated", "order.created", "order_created"]);
    expect(app.handlerNames()).toEqual(["order_created"]);
  });

  it("the app's names option: a relaxed pattern for handler names, and aliases by producer name", async () => {
    const app = createApp({
      name: "t",
      logger: silentLogger,
      names: { pattern: RELAXED_MESSAGE_NAME, aliases: { "legacy/OrderPaid": "Order.Paid" } },
    });
    app.handle("Order.Paid", () => {});
    expect((await testApp(app).send("legacy/OrderPaid", {})).outcome.kind).toBe("ack");
    expect(() => app.handle("has space", () => {})).toThrow(/does not match the app's names.pattern/);
  });

  it("an alias that is another handler's name (or alias) is refused, naming both places", () => {
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("order_created", { aliases: ["order.created"] }, () => {});
    expect(() => app.handle("order_paid", { aliases: ["order.created"] }, () => {})).toThrow(
      /a handler for "order\.created" is already registered at .*app\.test\.ts:\d+ \(as an alias of "order_created"\)/,
    );
  });
});

describe("handleUnknown", () => {
  it("runs for every name without a handler of its own; named handlers still win; a second one is refused", async () => {
    const app = createApp({ name: "t", logger: silentLogger });
    const seen: string[] = [];
    app.handle("known", () => {
      seen.push("known");
    });
    app.handleUnknown({}, (_d, ctx) => {
      seen.push(`unknown ${ctx.envelope.name}`);
    });
    const t = testApp(app);
    expect((await t.send("known", {})).outcome.kind).toBe("ack");
    expect((await t.send("anything.Else", {})).outcome.kind).toBe("ack");
    expect(seen).toEqual(["known", "unknown anything.Else"]);
    expect(() => app.handleUnknown({}, () => {})).toThrow(/already registered at .*app\.test\.ts/);
  });
});

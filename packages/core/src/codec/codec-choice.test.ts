import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { type Envelope, type Outgoing, RELAXED_MESSAGE_NAME } from "../envelope.ts";
import { silentLogger } from "../logger.ts";
import { Worker } from "../runtime/worker.ts";
import type { StandardSchemaV1 } from "../schema.ts";
import { testApp } from "../testkit/index.ts";
import { HandlerSpy } from "../testkit/spy.ts";
import { SqliteStore, sqliteTransport } from "../transports/sqlite.ts";
import { cloudEventsCodec } from "./cloudevents.ts";
import type { Codec } from "./codec.ts";

const dir = mkdtempSync(join(tmpdir(), "mailroom-codecs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const structured = cloudEventsCodec({ source: "/orders" });
const binary = cloudEventsCodec({ source: "/orders", mode: "binary" });
const codecOf = (m: Outgoing | undefined): Codec | undefined => m?.codec;

describe("which codec a publish is written with", () => {
  it("the handler's codec for its name, else the app's; an explicit codec wins; replies as their handler writes", async () => {
    const app = createApp({ name: "orders", logger: silentLogger, codec: structured });
    app.handle("invoice_requested", { codec: binary }, () => {});
    app.handle("order_created", async (_data, ctx) => {
      await ctx.publish("invoice_requested", { n: 1 });
      await ctx.forward("order_audited", { n: 2 });
      await ctx.publish("order_audited", { n: 3 }, { codec: binary });
    });
    app.handle("quote_price", { codec: binary }, () => ({ price: 1 }));
    const kit = testApp(app);
    const { published } = await kit.send("order_created", {});
    expect(published.map((p) => [p.name, codecOf(p)])).toEqual([
      ["invoice_requested", binary],
      ["order_audited", structured],
      ["order_audited", binary],
    ]);
    const reply = await kit.send("quote_price", {}, { replyTo: "reply-queue" });
    expect(reply.published).toMatchObject([{ name: "quote_price_reply", reply: true, data: { price: 1 } }]);
    expect(codecOf(reply.published[0])).toBe(binary);
  });

  it("batch handlers publish by the same rule", async () => {
    const app = createApp({ name: "orders", logger: silentLogger });
    app.handle("invoice_requested", { codec: binary }, () => {});
    app.handleBatch("order_created", { maxSize: 2 }, async (_items, ctx) => {
      await ctx.publish("invoice_requested", {});
      await ctx.publish("order_audited", {});
    });
    const { published } = await testApp(app).send("order_created", {});
    expect(published.map((p) => codecOf(p))).toEqual([binary, undefined]);
  });

  it("without any codec, nothing is chosen and the transport's own writes", async () => {
    const app = createApp({ name: "orders", logger: silentLogger });
    app.handle("order_created", (_d, ctx) => ctx.publish("invoice_requested", {}));
    const { published } = await testApp(app).send("order_created", {});
    expect(published[0]).not.toHaveProperty("codec");
  });
});

describe("schemas a codec reads", () => {
  /** A schema kind of a made-up codec: `{ typeName, fields }`, read by checking the fields exist. */
  const typed = { typeName: "acme.Thing", fields: ["id"] };
  const adapting: Codec = {
    ...structured,
    name: "things",
    adaptSchema(schema): StandardSchemaV1 | undefined {
      if (schema !== typed) return undefined;
      return {
        "~standard": {
          version: 1,
          vendor: "test",
          validate: (v) =>
            typeof v === "object" && v !== null && "id" in v
              ? { value: { thing: v } }
              : { issues: [{ message: "no id" }] },
        },
      };
    },
  };

  it("a handler registered without a name takes its schema's type name, whatever the names pattern, and data is read by the adapted schema", async () => {
    const app = createApp({ name: "things", logger: silentLogger, codec: adapting });
    const seen: unknown[] = [];
    app.handle({ schema: typed as never }, (data) => {
      seen.push(data);
    });
    expect(app.handlerNames()).toEqual(["acme.Thing"]);
    expect((await testApp(app).send("acme.Thing", { id: 1 })).outcome).toEqual({ kind: "ack" });
    expect(seen).toEqual([{ thing: { id: 1 } }]);
    expect((await testApp(app).send("acme.Thing", {})).outcome).toEqual({
      kind: "deadLetter",
      reason: "schema_validation_failed: no id",
    });
  });

  it("a schema no codec reads is refused at registration", () => {
    const app = createApp({ name: "things", logger: silentLogger });
    expect(() => app.handle("thing", { schema: typed as never }, () => {})).toThrow(
      'the schema of "thing" is a message type (acme.Thing) that no codec can read',
    );
    expect(() => app.handle("thing", { schema: { nope: 1 } as never }, () => {})).toThrow(
      'the schema of "thing" is not a Standard Schema (zod 4, valibot, arktype, …) nor one its codec reads',
    );
  });
});

describe("the SQLite queue", () => {
  it("a worker reads what a foreign producer wrote into the file as binary and structured CloudEvents, and what an app publishes as CloudEvents", async () => {
    const file = join(dir, "ce.db");
    const transport = sqliteTransport(file, { queue: "orders", waitMs: 200 });
    const app = createApp({ name: "orders", logger: silentLogger, names: { pattern: RELAXED_MESSAGE_NAME } });
    const seen: Envelope[] = [];
    app.handle("com.example.order.created", { codec: binary }, async (_data, ctx) => {
      seen.push(ctx.envelope);
      if (ctx.envelope.id === "raw-binary-1")
        await ctx.forward("com.example.order.audited", { by: "worker" });
    });
    app.handle("com.example.order.audited", (_data, ctx) => {
      seen.push(ctx.envelope);
    });
    const worker = new Worker(app, transport.source(), {
      publisher: transport.publisher(),
      logger: silentLogger,
    });
    const spy = new HandlerSpy(worker);
    void worker.start();
    const store = new SqliteStore(file);
    const now = Date.now();
    store.enqueue("orders", [
      {
        body: new TextEncoder().encode('{"id":"o-1"}'),
        meta: {
          headers: {
            "ce-specversion": "1.0",
            "ce-id": "raw-binary-1",
            "ce-source": "/raw",
            "ce-type": "com.example.order.created",
            "ce-time": "2026-01-02T03:04:05Z",
          },
        },
        visibleAt: now,
      },
      {
        body: new TextEncoder().encode(
          JSON.stringify({
            specversion: "1.0",
            id: "raw-structured-1",
            source: "/raw",
            type: "com.example.order.created",
            data: 7,
          }),
        ),
        meta: { headers: {} },
        visibleAt: now,
      },
    ]);
    store.close();
    await spy.waitFor({ outcome: "ack", count: 3 });
    await worker.stop();
    await transport.close();
    expect(seen.find((e) => e.id === "raw-binary-1")).toMatchObject({
      data: { id: "o-1" },
      publishedAt: new Date("2026-01-02T03:04:05Z"),
      headers: { "ce-source": "/raw" },
    });
    expect(seen.find((e) => e.id === "raw-structured-1")).toMatchObject({
      data: 7,
      headers: { "ce-source": "/raw" },
    });
    // The follow-up went out with the app's choice for its name: no handler codec, no app codec → JSON.
    const audited = seen.find((e) => e.name === "com.example.order.audited");
    expect(audited).toMatchObject({ data: { by: "worker" }, parentId: "raw-binary-1" });
    expect(audited!.headers["ce-source"]).toBeUndefined();
  });
});

import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Parser } from "@asyncapi/parser";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/index.ts";
import { buildCli, cli, examples, root, workdir } from "./helpers.ts";
import { capture } from "./transport-scenario.ts";

/** Handler files in a temp folder that resolves @mailroom/core and zod from the workspace. */
const HANDLER_FILES: Record<string, string> = {
  "order_placed.ts": `
import { defineHandler } from "@mailroom/core";
import { z } from "zod";
const OrderPlaced = z.object({
  id: z.string(),
  customer: z.object({ email: z.string(), tier: z.enum(["gold", "silver"]) }),
  note: z.string().optional(),
  lines: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })),
});
export default defineHandler("order_placed", { schema: OrderPlaced, aliases: ["order.placed", "OrderPlaced"] }, async () => {});
`,
  "audit_logged.ts": `
import { defineHandler } from "@mailroom/core";
export default defineHandler("audit_logged", {}, async () => {});
`,
  "stock_counted.ts": `
import { defineBatchHandler } from "@mailroom/core";
import { z } from "zod";
export default defineBatchHandler(
  "stock_counted",
  { schema: z.object({ sku: z.string(), count: z.number() }), maxSize: 25, maxWaitMs: 50 },
  async () => {},
);
`,
  "category_saved.ts": `
import { defineHandler } from "@mailroom/core";
import { z } from "zod";
const Category = z.object({ name: z.string(), get children() { return z.array(Category).optional(); } });
export default defineHandler("category_saved", { schema: Category }, async () => {});
`,
  "reminder_due.ts": `
import { defineHandler } from "@mailroom/core";
import { z } from "zod";
export default defineHandler("reminder_due", { schema: z.object({ at: z.date() }) }, async () => {});
`,
};

function handlersDir(files: Record<string, string> = HANDLER_FILES): { dir: string; handlers: string } {
  const { dir } = workdir();
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  const handlers = join(dir, "handlers");
  mkdirSync(handlers);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(handlers, file), text);
  return { dir, handlers };
}

async function asyncapi(args: string[]) {
  const c = capture();
  const code = await main(["node", "mailroom", "asyncapi", ...args], c.io);
  return { code, out: c.out.join("\n"), err: c.err };
}

/** Parse with the AsyncAPI parser; fails the test on any error-level diagnostic. */
async function parsed(text: string) {
  const { document, diagnostics } = await new Parser().parse(text);
  const errors = diagnostics.filter((d) => d.severity === 0);
  expect(errors.map((d) => `${d.path.join("/")}: ${d.message}`)).toEqual([]);
  expect(document).toBeDefined();
  return document!;
}

/** The value at `path` in parsed JSON (undefined where it is missing). */
function at(value: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>(
    (v, key) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined),
    value,
  );
}

describe("mailroom asyncapi", () => {
  beforeAll(buildCli);

  it("describes each handler as a channel, a receive operation and a message whose payload is its schema's JSON Schema", async () => {
    const { handlers } = handlersDir();
    const r = await asyncapi(["--handlers", handlers, "--title", "Orders", "--version", "2.1.0"]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const document = await parsed(r.out);
    expect(document.version()).toBe("3.0.0");
    expect(document.info().title()).toBe("Orders");
    expect(document.info().version()).toBe("2.1.0");
    const names = ["audit_logged", "category_saved", "order_placed", "reminder_due", "stock_counted"];
    expect(
      document
        .channels()
        .all()
        .map((c) => c.id()),
    ).toEqual(names);
    expect(
      document
        .operations()
        .all()
        .map((o) => o.id()),
    ).toEqual(names.map((n) => `receive_${n}`));
    for (const name of names) {
      const operation = document.operations().get(`receive_${name}`)!;
      expect(operation.action()).toBe("receive");
      expect(operation.isReceive()).toBe(true);
      expect(
        operation
          .channels()
          .all()
          .map((c) => c.id()),
      ).toEqual([name]);
      // Without --transport: the local SQLite queue's default queue.
      expect(document.channels().get(name)!.address()).toBe("default");
      const message = document.channels().get(name)!.messages().all()[0]!;
      expect(message.name()).toBe(name);
      expect(message.contentType()).toBe("application/json");
      expect(message.headers()?.properties()).toHaveProperty("correlationId");
      expect(message.headers()?.properties()).toHaveProperty("traceparent");
    }

    const doc: unknown = JSON.parse(r.out);
    const messages = at(doc, "components", "messages");
    // Nested object, enum, optional and array, as zod converts them.
    expect(at(messages, "order_placed", "payload")).toEqual({
      type: "object",
      properties: {
        id: { type: "string" },
        customer: {
          type: "object",
          properties: { email: { type: "string" }, tier: { type: "string", enum: ["gold", "silver"] } },
          required: ["email", "tier"],
        },
        note: { type: "string" },
        lines: {
          type: "array",
          items: {
            type: "object",
            properties: {
              sku: { type: "string" },
              qty: { type: "integer", exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER },
            },
            required: ["sku", "qty"],
          },
        },
      },
      required: ["id", "customer", "lines"],
    });
    expect(at(messages, "order_placed", "x-mailroom-aliases")).toEqual(["order.placed", "OrderPlaced"]);
    expect(at(messages, "order_placed", "summary")).toContain('"order.placed", "OrderPlaced"');
    expect(at(messages, "audit_logged", "payload")).toEqual({});
    expect(at(messages, "audit_logged")).not.toHaveProperty("x-mailroom-aliases");
    // A recursive schema refers to itself through the document.
    expect(at(messages, "category_saved", "payload", "properties", "children", "items")).toEqual({
      $ref: "#/components/messages/category_saved/payload",
    });
    expect(
      document
        .messages()
        .all()
        .find((m) => m.name() === "category_saved"),
    ).toBeDefined();
    // A schema JSON Schema cannot express is an empty schema saying so.
    expect(Object.keys(at(messages, "reminder_due", "payload") as object)).toEqual(["description"]);
    expect(at(messages, "reminder_due", "payload", "description")).toMatch(
      /zod schema could not be converted to JSON Schema \(Date cannot be represented/,
    );

    const operations = at(doc, "operations");
    expect(at(operations, "receive_stock_counted", "x-mailroom-handler")).toEqual({
      mode: "batch",
      maxSize: 25,
      maxWaitMs: 50,
      maxAttempts: 5,
    });
    expect(at(operations, "receive_stock_counted", "summary")).toContain("up to 25");
    expect(at(operations, "receive_order_placed", "x-mailroom-handler")).toEqual({
      mode: "single",
      maxAttempts: 5,
    });
    expect(at(messages, "stock_counted", "payload", "required")).toEqual(["sku", "count"]);
    expect(doc).not.toHaveProperty("servers");
  });

  it("examples/handlers give a valid document, and --out writes it to a file", async () => {
    const { dir } = workdir();
    const out = join(dir, "docs", "asyncapi.json");
    const r = await asyncapi(["--handlers", join(examples, "handlers"), "--out", out]);
    expect(r.code).toBe(0);
    expect(r.out).toBe("");
    expect(r.err).toEqual([`wrote ${out}: AsyncAPI 3.0.0, 4 handlers`]);
    const text = readFileSync(out, "utf8");
    const document = await parsed(text);
    expect(document.info().title()).toBe("Mailroom handlers");
    expect(
      document
        .channels()
        .all()
        .map((c) => c.id()),
    ).toEqual(["fraud_check", "invoice_requested", "order_created", "payment_captured"]);
    const payload = at(JSON.parse(text), "components", "messages", "order_created", "payload");
    expect(at(payload, "required")).toEqual(["id", "customer", "total"]);
    expect(at(payload, "properties", "total")).toEqual({ type: "number", exclusiveMinimum: 0 });
  });

  it("the built mailroom binary, run from the repository as the README says, prints the examples' document", async () => {
    const r = await cli(
      ["asyncapi", "--handlers", "examples/handlers", "--title", "Shop", "--version", "0.3.0"],
      {
        cwd: root,
      },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const document = await parsed(r.stdout);
    expect(document.info().title()).toBe("Shop");
    expect(document.info().version()).toBe("0.3.0");
    expect(
      document
        .operations()
        .all()
        .map((o) => o.id()),
    ).toHaveLength(4);
  });

  it("--transport names the queue and the broker; an AMQP exchange makes each name a routing key; no credentials are written", async () => {
    const { handlers } = handlersDir({ "audit_logged.ts": HANDLER_FILES["audit_logged.ts"]! });
    const queue = await asyncapi(["--handlers", handlers, "--transport", "sqlite:./q.db?queue=audit"]);
    expect(queue.code).toBe(0);
    expect((await parsed(queue.out)).channels().get("audit_logged")!.address()).toBe("audit");

    const url = "amqp://app:s3cret-pass@broker.internal:5672/shop?queue=orders&exchange=events";
    const amqp = await asyncapi(["--handlers", handlers, "--transport", url]);
    expect(amqp.code).toBe(0);
    expect(amqp.out).not.toContain("s3cret-pass");
    expect(amqp.out).not.toContain("app:");
    const document = await parsed(amqp.out);
    const channel = document.channels().get("audit_logged")!;
    expect(channel.address()).toBe("audit_logged");
    expect(channel.bindings().get("amqp")?.value()).toMatchObject({
      is: "routingKey",
      exchange: { name: "events", type: "topic", vhost: "shop" },
    });
    expect(at(JSON.parse(amqp.out), "servers")).toEqual({
      amqp: { host: "broker.internal:5672", protocol: "amqp", pathname: "/shop" },
    });

    const env = process.env.MAILROOM_TRANSPORT;
    process.env.MAILROOM_TRANSPORT = "redis://:pw@127.0.0.1:6379/0?stream=audits";
    try {
      const redis = await asyncapi(["--handlers", handlers]);
      expect(redis.code).toBe(0);
      expect((await parsed(redis.out)).channels().get("audit_logged")!.address()).toBe("audits");
    } finally {
      if (env === undefined) delete process.env.MAILROOM_TRANSPORT;
      else process.env.MAILROOM_TRANSPORT = env;
    }
  });

  it("a handlers folder that does not exist, or a handler file that does not load, is one line and exit 2", async () => {
    const { dir } = workdir();
    const missing = await asyncapi(["--handlers", join(dir, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.out).toBe("");
    expect(missing.err).toEqual([`mailroom: handlers directory not found: ${join(dir, "nope")}`]);

    const { handlers } = handlersDir({ "broken.ts": "export default defineHandler(" });
    const broken = await asyncapi(["--handlers", handlers]);
    expect(broken.code).toBe(2);
    expect(broken.err).toHaveLength(1);
    expect(broken.err[0]).toMatch(/^mailroom: cannot load handler file .*broken\.ts: /);
    expect(existsSync(join(handlers, "asyncapi.json"))).toBe(false);

    const amqp = await asyncapi(["--handlers", handlers, "--transport", "amqp://127.0.0.1/"]);
    expect(amqp.code).toBe(2);
    expect(amqp.err).toEqual(["mailroom: an AMQP transport URL needs a queue: add ?queue=<name>"]);
  });
});

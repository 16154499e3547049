import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCli, cli, fixtures, jsonLines, root, workdir } from "./helpers.ts";

beforeAll(buildCli);

const handlers = join(fixtures, "codec-handlers");
const proto = join(root, "packages/codec-protobuf/test/fixtures/orders_pb.ts");
const orders = join(fixtures, "codec-orders.ndjson");
// The handler files import @mailroom/codec-protobuf: the CLI's build builds it too (a project reference).
const opts = (dir: string) => ({ cwd: dir });

describe("mailroom send --codec, then run", () => {
  it("sends structured and binary CloudEvents and a protobuf message; the worker reads each by its format and acks it", async () => {
    const { dir, queue } = workdir();
    const sent: string[] = [];
    for (const args of [
      ["order_created", '{"id":"o-1"}', "--codec", "cloudevents", "--source", "/shop"],
      ["order_created", '{"id":"o-2"}', "--codec", "cloudevents-binary", "--source", "/shop"],
      ["acme.orders.v1.OrderCreated", '{"id":"o-3","quantity":"4"}', "--codec", "protobuf", "--proto", proto],
    ]) {
      const r = await cli(["send", ...args, "--transport", queue], opts(dir));
      expect(r.stderr).toContain("sent 1 message");
      expect(r.code).toBe(0);
      sent.push(r.stdout.trim());
    }
    const run = await cli(
      ["run", "--handlers", handlers, "--transport", queue, "--until-empty", "--json"],
      opts(dir),
    );
    expect(run.code).toBe(0);
    const settled = jsonLines(run.stdout).filter((l) => l.type === "settled");
    // The three sent (by the ids send printed) and the protobuf handler's follow-up, all acked.
    expect(settled.map((l) => [l.name, (l.outcome as { kind: string }).kind]).sort()).toEqual([
      ["acme.orders.v1.OrderCreated", "ack"],
      ["order_counted", "ack"],
      ["order_created", "ack"],
      ["order_created", "ack"],
    ]);
    expect(
      settled
        .filter((l) => l.name !== "order_counted")
        .map((l) => l.id)
        .sort(),
    ).toEqual([...sent].sort());
  });

  it("refuses an unknown codec, --proto without protobuf, and a proto module with no message types (exit 2)", async () => {
    const { dir, queue } = workdir();
    const unknown = await cli(["send", "x", "1", "--codec", "avro", "--transport", queue], opts(dir));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'mailroom: --codec "avro" is not a codec; use json, cloudevents, cloudevents-binary, protobuf\n',
    );
    const stray = await cli(["send", "x", "1", "--proto", proto, "--transport", queue], opts(dir));
    expect(stray.stderr).toBe("mailroom: --proto goes with --codec protobuf\n");
    writeFileSync(join(dir, "empty.mjs"), "export const nothing = 1;\n");
    const empty = await cli(
      ["send", "x", "1", "--codec", "protobuf", "--proto", "empty.mjs", "--transport", queue],
      opts(dir),
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("--proto empty.mjs exports no protobuf message types");
  });
});

describe("mailroom local --codec", () => {
  it("writes each message as the handler's codec does: a protobuf message, read into the schema's type", async () => {
    const { dir } = workdir();
    const r = await cli(["local", orders, "--handlers", handlers, "--json"], opts(dir));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual([
      expect.objectContaining({
        name: "acme.orders.v1.OrderCreated",
        outcome: expect.objectContaining({ kind: "ack" }),
        published: [{ name: "order_counted", data: { id: "o-7", quantity: "42" } }],
      }),
    ]);
  });

  it("writes every message as a CloudEvent, structured or binary, and the handlers read them", async () => {
    const { dir } = workdir();
    writeFileSync(
      join(dir, "mixed.ndjson"),
      `${JSON.stringify({ name: "order_created", data: { id: "o-1" } })}\n${JSON.stringify({
        name: "acme.orders.v1.OrderCreated",
        data: { id: "o-2", quantity: "5" },
      })}\n`,
    );
    for (const codec of ["cloudevents", "cloudevents-binary"]) {
      const r = await cli(
        ["local", "mixed.ndjson", "--handlers", handlers, "--codec", codec, "--source", "/shop"],
        opts(dir),
      );
      expect(r.stdout).toContain("#1 (line 1) ✓ order_created  ack");
      expect(r.stdout).toContain("#2 (line 2) ✓ acme.orders.v1.OrderCreated  ack");
      expect(r.stdout).toContain('↳ published order_counted {"id":"o-2","quantity":"10"}');
      expect(r.code).toBe(0);
    }
  });

  it("shows how a handler refuses a message the codec wrote wrong: JSON without a CloudEvents source dead-letters", async () => {
    const { dir } = workdir();
    writeFileSync(join(dir, "one.json"), JSON.stringify({ name: "order_created", data: { id: "o-1" } }));
    const r = await cli(["local", "one.json", "--handlers", handlers, "--codec", "json"], opts(dir));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "✗ order_created  dead-letter: permanent_error: ce-source is undefined, not /shop",
    );
  });
});

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCli, cli, examples, fixtures, jsonLines, root, workdir } from "./helpers.ts";

beforeAll(buildCli);

const handlers = join(examples, "handlers");

describe("mailroom local", () => {
  it("runs examples/data.json clean: every message acks, follow-ups are shown, exit 0", async () => {
    const { dir } = workdir();
    const r = await cli(["local", join(examples, "data.json"), "--handlers", handlers], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("#1 ✓ order_created  ack");
    expect(r.stdout).toContain('↳ published invoice_requested {"orderId":"o-1001"');
    expect(r.stdout).toContain("5 messages: 5 ack, 0 retry, 0 dead-letter");
  });

  it("shows the retry and the dead-letters of the failures file with their reasons, exit 1", async () => {
    const { dir } = workdir();
    const r = await cli(["local", join(examples, "data-failures.ndjson"), "--handlers", handlers], {
      cwd: dir,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /#1 \(line 1\) ↻ payment_captured {2}retry in \d+ms \(attempt 1\/3\): Error: payment gateway/,
    );
    expect(r.stdout).toContain("✗ fraud_check  dead-letter: permanent_error: fraud score 0.97 is over 0.9");
    expect(r.stdout).toContain("✗ order_created  dead-letter: schema_validation_failed: total");
    expect(r.stdout).toContain("dead-letter: unknown_message_name: refund_issued");
    expect(r.stdout).toContain("4 messages: 0 ack, 1 retry, 3 dead-letter");
  });

  it("--json prints one object per message with outcome and published messages", async () => {
    const { dir } = workdir();
    const r = await cli(["local", join(examples, "data.json"), "--handlers", handlers, "--json"], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatchObject({
      index: 0,
      name: "order_created",
      outcome: { kind: "ack" },
      published: [{ name: "invoice_requested", data: { orderId: "o-1001", amount: 42.5 } }],
    });
    const failures = await cli(
      ["local", join(examples, "data-failures.ndjson"), "--handlers", handlers, "--json"],
      { cwd: dir },
    );
    const f = jsonLines(failures.stdout);
    expect(f[0]).toMatchObject({ line: 1, outcome: { kind: "retry", attempt: 1, maxAttempts: 3 } });
    expect(f[1]).toMatchObject({ line: 2, outcome: { kind: "deadLetter" } });
  });

  it("accepts a single message object, an array and NDJSON alike", async () => {
    const { dir } = workdir();
    const msg = { name: "fraud_check", data: { orderId: "o-1", score: 0.1 } };
    writeFileSync(join(dir, "one.json"), JSON.stringify(msg, null, 2));
    writeFileSync(join(dir, "many.json"), JSON.stringify([msg, msg, msg], null, 2));
    writeFileSync(join(dir, "many.ndjson"), `${JSON.stringify(msg)}\n\n${JSON.stringify(msg)}\n`);
    const counts: number[] = [];
    for (const file of ["one.json", "many.json", "many.ndjson"]) {
      const r = await cli(["local", file, "--handlers", handlers, "--json"], { cwd: dir });
      expect(r.code).toBe(0);
      const lines = jsonLines(r.stdout);
      expect(lines.every((l) => (l.outcome as { kind: string }).kind === "ack")).toBe(true);
      counts.push(lines.length);
    }
    expect(counts).toEqual([1, 3, 2]);
  });

  it("dead-letters an entry that is not { name, data } with the decoder's reason", async () => {
    const { dir } = workdir();
    writeFileSync(join(dir, "odd.json"), JSON.stringify([{ nom: "order_created" }, 42]));
    const r = await cli(["local", "odd.json", "--handlers", handlers], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("dead-letter: decode_failed: missing message name");
    expect(r.stdout).toContain("2 messages: 0 ack, 0 retry, 2 dead-letter");
  });

  it("--handlers defaults to ./handlers and says what to pass when it is missing", async () => {
    const { dir } = workdir();
    writeFileSync(join(dir, "one.json"), '{"name":"fraud_check","data":{"orderId":"o","score":0}}');
    const r = await cli(["local", "one.json"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pass --handlers DIR");
    const ok = await cli(["local", join(dir, "one.json")], { cwd: examples });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("✓ fraud_check");
  });
});

describe("mailroom local: clear errors, no stack traces", () => {
  it("names a missing file", async () => {
    const { dir } = workdir();
    const r = await cli(["local", "nope.json", "--handlers", handlers], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("mailroom: file not found: nope.json");
  });

  it("reports bad JSON with its line, and the failing NDJSON line", async () => {
    const { dir } = workdir();
    writeFileSync(join(dir, "bad.json"), '[\n  {"name": "a", "data": 1},\n  {"name": "b", data: 2}\n]\n');
    const ok = '{"name":"fraud_check","data":{"orderId":"o","score":0}}';
    writeFileSync(join(dir, "bad.ndjson"), `${ok}\n${ok}\n{"name": "x", "data": }\n${ok}\n`);
    const doc = await cli(["local", "bad.json", "--handlers", handlers], { cwd: dir });
    expect(doc.code).toBe(2);
    expect(doc.stderr).toMatch(/^mailroom: bad\.json:3:\d+: not valid JSON/);
    expect(doc.stderr).not.toMatch(/\n\s+at /);
    const nd = await cli(["local", "bad.ndjson", "--handlers", handlers], { cwd: dir });
    expect(nd.code).toBe(2);
    expect(nd.stderr).toMatch(/^mailroom: bad\.ndjson:3: not valid JSON/);
  });

  it("refuses two handlers for one name, naming both files", async () => {
    const { dir } = workdir();
    writeFileSync(join(dir, "one.json"), '{"name":"order_created","data":{}}');
    const r = await cli(["local", "one.json", "--handlers", join(fixtures, "duplicate-handlers")], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/two handlers for "order_created": in .*first\.ts and in .*second\.ts/);
  });

  it("refuses a handler file whose default export is not a definition, showing the expected shape", async () => {
    const { dir } = workdir();
    writeFileSync(join(dir, "one.json"), '{"name":"order_created","data":{}}');
    const r = await cli(["local", "one.json", "--handlers", join(fixtures, "bad-export")], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("order_created.ts: the default export is a function (orderCreated)");
    expect(r.stderr).toContain('export default defineHandler("order_created"');
  });

  it("names a handler file that cannot load, with a hint for non-erasable TypeScript", async () => {
    const { dir } = workdir();
    writeFileSync(join(dir, "one.json"), '{"name":"order_created","data":{}}');
    const r = await cli(["local", "one.json", "--handlers", join(fixtures, "enum-handler")], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mailroom: cannot load handler file .*enum-handler\/order_created\.ts: .*enum/);
    expect(r.stderr).toContain("enums, namespaces and parameter properties are not supported");
  });
});

describe("the mailroom command", () => {
  it("bin/mailroom.js (what npm links as `mailroom`) runs the built CLI: --version", () => {
    const pkg = JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8"));
    expect(pkg.bin).toEqual({ mailroom: "./bin/mailroom.js" });
    const out = execFileSync(process.execPath, [join(root, "packages/cli/bin/mailroom.js"), "--version"], {
      encoding: "utf8",
    });
    expect(out.trim()).toBe(pkg.version);
  });
});

// Tracing from the CLI as a user turns it on: an OpenTelemetry SDK registered with
// NODE_OPTIONS="--import ./otel.mjs", exporting in batches. Every span must reach the exporter
// before the command exits (the batch processor would send them seconds later).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, examples, fixtures, workdir } from "./helpers.ts";

describe("an OpenTelemetry SDK registered for the CLI", () => {
  it("gets every span of mailroom send and mailroom run before they exit: send, then process and the forward's send", async () => {
    const { dir, queue } = workdir();
    const out = join(dir, "spans.jsonl");
    const env = { NODE_OPTIONS: `--import ${join(fixtures, "otel-batch.mjs")}`, SPANS_OUT: out };
    const sent = await cli(
      ["send", "order_created", '{"id":"o-1","customer":"ada@example.com","total":12}', "--transport", queue],
      {
        cwd: dir,
        env,
      },
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(existsSync(out), "spans of mailroom send").toBe(true);
    const ran = await cli(
      ["run", "--handlers", join(examples, "handlers"), "--transport", queue, "--until-empty"],
      { cwd: dir, env },
    );
    expect(ran.code, ran.stderr).toBe(0);
    const names = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { name: string }).name);
    expect(names).toEqual(
      expect.arrayContaining([
        "order_created send",
        "order_created process",
        "invoice_requested send",
        "invoice_requested process",
      ]),
    );
  }, 60_000);
});

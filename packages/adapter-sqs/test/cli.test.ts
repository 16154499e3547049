import { join } from "node:path";
import { dlqListCommand, dlqRedriveCommand, runCommand, sendCommand, statsCommand } from "@mailroom/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "./helpers.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});

const examples = join(import.meta.dirname, "../../../examples");

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (l: string) => void out.push(l),
      err: (l: string) => void err.push(l),
      interactive: false,
      stderr: process.stderr,
    },
  };
}

describe("the mailroom CLI on an sqs:// transport", () => {
  it("send, run --until-empty, stats, dlq list and dlq redrive work end to end", async () => {
    const queue = `cli-${process.pid}-${Date.now().toString(36)}`;
    emu.createQueue(queue, { visibilitySeconds: 5 });
    const url = `sqs://us-east-1/${queue}?endpoint=${encodeURIComponent(emu.endpoint)}`;

    const sent = capture();
    expect(await sendCommand("-", `@${join(examples, "data-all.json")}`, { transport: url }, sent.io)).toBe(
      0,
    );
    expect(sent.out).toHaveLength(6);

    const run = capture();
    const code = await runCommand(
      { handlers: join(examples, "handlers"), transport: url, untilEmpty: true, json: true },
      run.io,
    );
    expect(code).toBe(0);
    const summary = JSON.parse(run.out.at(-1)!) as Record<string, number>;
    expect(summary).toMatchObject({ acked: 7, retried: 1, deadLettered: 1 });

    const stats = capture();
    expect(await statsCommand({ transport: url, json: true }, stats.io)).toBe(0);
    expect(stats.out.join("\n")).toContain(queue);

    const list = capture();
    expect(await dlqListCommand({ transport: url, json: true }, list.io)).toBe(0);
    const letters = list.out.map((l) => JSON.parse(l) as { name: string; reason: string; attempts: number });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ name: "fraud_check", attempts: 1 });
    expect(letters[0]!.reason).toMatch(/^permanent_error: fraud score 0.97/);

    const redrive = capture();
    expect(await dlqRedriveCommand({ transport: url }, redrive.io)).toBe(0);
    expect(redrive.out.join("\n") + redrive.err.join("\n")).toMatch(/moved 1 dead letter/);
    const after = capture();
    expect(await dlqListCommand({ transport: url, json: true }, after.io)).toBe(0);
    expect(after.out).toHaveLength(0);
  }, 90_000);
});

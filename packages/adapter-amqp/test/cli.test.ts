import { join } from "node:path";
import { dlqListCommand, dlqRedriveCommand, runCommand, sendCommand } from "@mailroom/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AMQP_URL, cleanup, sharedBrokerLock, transport, uniqueName } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
afterAll(() => cleanup());

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

describe("the mailroom CLI on an amqp:// transport", () => {
  it("send, run --until-empty, dlq list and dlq redrive work end to end", async () => {
    const queue = uniqueName("cli");
    transport(queue); // registered for cleanup
    const url = `${AMQP_URL}?queue=${queue}`;
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
    expect(run.err.join("\n")).not.toContain("guest:guest");

    const list = capture();
    expect(await dlqListCommand({ transport: url, json: true }, list.io)).toBe(0);
    const letters = list.out.map((l) => JSON.parse(l) as { name: string; reason: string });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ name: "fraud_check" });
    expect(letters[0]!.reason).toMatch(/^permanent_error: fraud score 0.97/);

    const redrive = capture();
    expect(await dlqRedriveCommand({ transport: url }, redrive.io)).toBe(0);
    expect(redrive.out.join("\n") + redrive.err.join("\n")).toMatch(/moved 1 dead letter/);
  }, 60_000);
});

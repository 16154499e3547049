import { dlqListCommand } from "@mailroom/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capture, exampleScenario } from "../../cli/test/transport-scenario.ts";
import { type Emulator, startEmulator } from "./helpers.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});

describe("the mailroom CLI on an sqs:// transport", () => {
  it("send, run --until-empty, stats, dlq list, dlq purge and dlq redrive work end to end", async () => {
    const queue = `cli-${process.pid}-${Date.now().toString(36)}`;
    emu.createQueue(queue, { visibilitySeconds: 5 });
    const url = `sqs://us-east-1/${queue}?endpoint=${encodeURIComponent(emu.endpoint)}`;
    await exampleScenario(url, { statsShows: queue });
    const after = capture();
    expect(await dlqListCommand({ transport: url, json: true }, after.io)).toBe(0);
    expect(after.out).toHaveLength(0);
  }, 90_000);
});

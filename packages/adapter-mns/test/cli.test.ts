import { join } from "node:path";
import { dlqListCommand, dlqRedriveCommand, runCommand, sendCommand, statsCommand } from "@mailroom/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREDENTIAL_ENV } from "../src/index.ts";
import { type MnsTestServer, startMnsServer, TEST_CREDENTIAL } from "../src/testing/index.ts";
import { transportUrl, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  s = await startMnsServer();
  for (const k of Object.values(CREDENTIAL_ENV)) saved[k] = process.env[k];
  // The CLI takes credentials from the environment, as it does on a real deployment.
  process.env[CREDENTIAL_ENV.accessKeyId] = TEST_CREDENTIAL.accessKeyId;
  process.env[CREDENTIAL_ENV.accessKeySecret] = TEST_CREDENTIAL.accessKeySecret;
  delete process.env[CREDENTIAL_ENV.securityToken];
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await s.close();
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

describe("the mailroom CLI on an mns+http:// transport (MNS test server)", () => {
  it("send, run --until-empty, stats, dlq list and dlq redrive work end to end", async () => {
    const queue = uniqueQueue("cli");
    const url = transportUrl(s, queue, "create=true&visibility=5s");

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
    const letters = list.out.map((l) => JSON.parse(l) as { name: string; reason: string });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ name: "fraud_check" });
    expect(letters[0]!.reason).toMatch(/^permanent_error: fraud score 0.97/);

    const redrive = capture();
    expect(await dlqRedriveCommand({ transport: url }, redrive.io)).toBe(0);
    expect(redrive.out.join("\n") + redrive.err.join("\n")).toMatch(/moved 1 dead letter/);

    const all = [
      ...sent.out,
      ...sent.err,
      ...run.out,
      ...run.err,
      ...list.out,
      ...redrive.out,
      ...redrive.err,
    ];
    expect(all.join("\n")).not.toContain(TEST_CREDENTIAL.accessKeySecret);
  }, 90_000);
});

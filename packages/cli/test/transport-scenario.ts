import { join } from "node:path";
import { expect } from "vitest";
import {
  dlqListCommand,
  dlqPurgeCommand,
  dlqRedriveCommand,
  runCommand,
  sendCommand,
  statsCommand,
} from "../src/index.ts";

const examples = join(import.meta.dirname, "../../../examples");

/** An `io` for the CLI's commands that keeps what they print. */
export function capture() {
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

/**
 * The README's demo on a broker transport, through the CLI's commands: send the example
 * messages and one more fraud_check, run the example handlers until the queue is empty (7 acked,
 * 1 retried, 2 dead-lettered), then stats, dlq list, dlq purge of one and dlq redrive of the
 * other (it ends back on the queue). Every adapter's CLI test runs it.
 * Returns everything the commands printed, for checks such as "no secret in the output".
 */
export async function exampleScenario(url: string, options: { statsShows: string }): Promise<string> {
  const printed: string[] = [];
  const step = async (run: (io: ReturnType<typeof capture>["io"]) => Promise<number>) => {
    const c = capture();
    expect(await run(c.io)).toBe(0);
    printed.push(...c.out, ...c.err);
    return c.out;
  };

  const sent = await step((io) =>
    sendCommand("-", `@${join(examples, "data-all.json")}`, { transport: url }, io),
  );
  expect(sent).toHaveLength(6);
  await step((io) => sendCommand("fraud_check", '{"orderId":"o-99","score":0.99}', { transport: url }, io));

  const run = await step((io) =>
    runCommand({ handlers: join(examples, "handlers"), transport: url, untilEmpty: true, json: true }, io),
  );
  expect(JSON.parse(run.at(-1)!)).toMatchObject({ acked: 7, retried: 1, deadLettered: 2 });

  const stats = await step((io) => statsCommand({ transport: url, json: true }, io));
  expect(stats.join("\n")).toContain(options.statsShows);

  const list = await step((io) => dlqListCommand({ transport: url, json: true }, io));
  const letters = list.map((l) => JSON.parse(l) as { name: string; reason: string });
  expect(letters).toHaveLength(2);
  for (const letter of letters) {
    expect(letter).toMatchObject({ name: "fraud_check" });
    expect(letter.reason).toMatch(/^permanent_error: fraud score 0.9[79]/);
  }

  const purged = await step((io) => dlqPurgeCommand({ transport: url, limit: 1, yes: true }, io));
  expect(purged.join("\n")).toMatch(/^deleted 1 dead letter of queue "[^"]+" for good/);

  const redriveCapture = capture();
  expect(await dlqRedriveCommand({ transport: url }, redriveCapture.io)).toBe(0);
  const redrive = [...redriveCapture.out, ...redriveCapture.err];
  printed.push(...redrive);
  expect(redrive.join("\n")).toMatch(/moved 1 dead letter/);
  return printed.join("\n");
}

import { join } from "node:path";
import type { Lineage } from "@mailroom/core/message-log";
import { sqliteMessageLog } from "@mailroom/core/message-log";
import { expect } from "vitest";
import { main, runCommand, sendCommand } from "../src/index.ts";
import { capture } from "./transport-scenario.ts";

const handlers = join(import.meta.dirname, "fixtures/lineage-handlers");

/** Durations vary from run to run: `(attempt 2, 13ms)` → `(attempt 2, _)`. */
const steady = (text: string) => text.replace(/(\(attempt \d+), [^)]+\)/g, "$1, _)");

/**
 * A family of messages through `mailroom run --log-messages` on a transport, then `mailroom
 * trace`: order_placed forwards stock_reserved (fails once, then acked) and invoice_requested,
 * which forwards invoice_sent (dead-lettered). Every adapter's CLI test may run it.
 */
export async function lineageScenario(url: string, dir: string): Promise<void> {
  const logPath = join(dir, "messages.db");
  const sent = capture();
  expect(await sendCommand("order_placed", "{}", { transport: url }, sent.io)).toBe(0);
  const rootId = sent.out[0]!;

  const run = capture();
  const code = await runCommand(
    { handlers, transport: url, untilEmpty: true, json: true, logMessages: logPath },
    run.io,
  );
  expect(code, run.err.join("\n")).toBe(0);
  expect(JSON.parse(run.out.at(-1)!)).toMatchObject({ acked: 3, retried: 1, deadLettered: 1 });

  // What the dashboard reads: the log, through the reader API.
  const log = sqliteMessageLog(logPath, { readOnly: true });
  const [middle] = log.recent({ name: "invoice_requested" });
  const [leaf] = log.recent({ name: "invoice_sent" });
  const stock = log.recent({ name: "stock_reserved" });
  await log.close();
  expect(middle).toMatchObject({ parentId: rootId, outcome: "ack", attempt: 1 });
  expect(leaf).toMatchObject({ parentId: middle!.id, outcome: "deadLetter" });
  expect(stock.map((e) => [e.attempt, e.outcome])).toEqual([
    [2, "ack"],
    [1, "retry"],
  ]);

  // A middle id: its ancestor, itself, its descendant — as a tree, and as JSON.
  const plain = capture();
  expect(await main(["node", "mailroom", "trace", middle!.id, "--log", logPath], plain.io)).toBe(0);
  expect(steady(plain.out.join("\n"))).toBe(
    [
      `order_placed ${rootId}  acked (attempt 1, _)`,
      `\`- invoice_requested ${middle!.id}  acked (attempt 1, _)  <- this message`,
      `   \`- invoice_sent ${leaf!.id}  dead-lettered (attempt 1, _): permanent_error: mail server refused the address`,
    ].join("\n"),
  );
  const json = capture();
  expect(await main(["node", "mailroom", "trace", middle!.id, "--log", logPath, "--json"], json.io)).toBe(0);
  const lineage = JSON.parse(json.out.join("")) as Lineage;
  expect(lineage.ancestors.map((e) => e.id)).toEqual([rootId]);
  expect(lineage.message.map((e) => e.name)).toEqual(["invoice_requested"]);
  expect(lineage.descendants.map((n) => [n.entry.id, n.entry.outcome, n.children.length])).toEqual([
    [leaf!.id, "deadLetter", 0],
  ]);

  // The root: every descendant, the retried one with its earlier attempt (box drawing when pretty).
  const root = capture();
  const pretty = process.env.MAILROOM_PRETTY;
  process.env.MAILROOM_PRETTY = "1";
  try {
    expect(await main(["node", "mailroom", "trace", rootId, "--log", logPath], root.io)).toBe(0);
  } finally {
    if (pretty === undefined) delete process.env.MAILROOM_PRETTY;
    else process.env.MAILROOM_PRETTY = pretty;
  }
  const lines = steady(root.out.join("\n")).split("\n");
  expect(lines[0]).toBe(`order_placed ${rootId}  acked (attempt 1, _)  <- this message`);
  expect(lines).toHaveLength(5);
  const stockAt = lines.findIndex((l) => l.includes(" stock_reserved "));
  expect(lines[stockAt]).toMatch(/^[├└]─ stock_reserved \S+ {2}acked \(attempt 2, _\)$/);
  expect(lines[stockAt + 1]).toMatch(
    /^[│ ] {6}earlier: retried \(attempt 1, _\): Error: stock service busy$/,
  );
  expect(lines.join("\n")).toContain(`└─ invoice_sent ${leaf!.id}  dead-lettered`);

  const missing = capture();
  expect(await main(["node", "mailroom", "trace", "no-such-id", "--log", logPath], missing.io)).toBe(1);
  expect(missing.err.join("\n")).toMatch(/^mailroom: message no-such-id is not in the message log /);
}

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordingDelivery } from "../../test/deliveries.ts";
import { logEntry } from "../../test/message-log-entry.ts";
import { createApp } from "../app.ts";
import { ConfigError, PermanentError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { dispatch } from "../runtime/push.ts";
import { Worker } from "../runtime/worker.ts";
import { memoryTransport } from "../transports/memory.ts";
import type { MessageLogEntry } from "./entry.ts";
import { messageLog, sqliteMessageLog } from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "mailroom-message-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `log-${n++}.db`);

/** A family: a → (b, c), c → d; b fails once then succeeds; d dead-letters; plus an unknown name. */
async function runFamily(path: string) {
  const log = sqliteMessageLog(path, { flushMs: 10 });
  const t = memoryTransport({ namespace: `message-log-${process.pid}-${n++}`, waitMs: 50 });
  const app = createApp({ name: "family", logger: silentLogger, retry: { baseDelayMs: 5, jitter: "none" } });
  app.use(messageLog({ sink: log }));
  let bRuns = 0;
  app.handle("a", async (_data, ctx) => {
    await ctx.forward("b", {});
    await ctx.forward("c", {});
  });
  app.handle("b", () => {
    if (++bRuns === 1) throw new Error("b failed once");
  });
  app.handle("c", async (_data, ctx) => {
    await ctx.forward("d", {});
  });
  app.handle("d", () => {
    throw new PermanentError("d is not wanted");
  });
  await t.publisher().publish([
    { name: "a", data: {}, id: "msg-a" },
    { name: "nobody_handles_this", data: {}, id: "msg-unknown" },
  ]);
  const worker = new Worker(app, t.source(), {
    publisher: t.publisher(),
    untilEmpty: true,
    logger: silentLogger,
  });
  await worker.start();
  return log;
}

describe("message log", () => {
  it("records every run of a Worker with its final outcome, and lineage walks parentId both ways", async () => {
    const log = await runFamily(file());
    const a = log.get("msg-a");
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ name: "a", outcome: "ack", attempt: 1, transport: "memory" });
    expect(a[0]!.finishedAt).toBeGreaterThanOrEqual(a[0]!.startedAt);
    expect(a[0]!.startedAt).toBeGreaterThanOrEqual(a[0]!.receivedAt);

    const tree = log.lineage("msg-a")!;
    expect(tree.ancestors).toEqual([]);
    expect(tree.descendants.map((d) => d.entry.name)).toEqual(["b", "c"]);
    const [b, c] = tree.descendants;
    expect(b!.attempts.map((e) => [e.attempt, e.outcome])).toEqual([
      [1, "retry"],
      [2, "ack"],
    ]);
    expect(b!.attempts[0]!.reason).toContain("b failed once");
    expect(c!.children.map((d) => [d.entry.name, d.entry.outcome])).toEqual([["d", "deadLetter"]]);
    const d = c!.children[0]!.entry;
    expect(d.reason).toContain("d is not wanted");
    expect(d.correlationId).toBe("msg-a");

    // From the middle: ancestors root first, the message's own entries, and its descendants.
    const mid = log.lineage(c!.entry.id)!;
    expect(mid.ancestors.map((e) => e.id)).toEqual(["msg-a"]);
    expect(mid.message.map((e) => e.name)).toEqual(["c"]);
    expect(mid.descendants.map((x) => x.entry.id)).toEqual([d.id]);
    const leaf = log.lineage(d.id)!;
    expect(leaf.ancestors.map((e) => e.name)).toEqual(["a", "c"]);

    // Settled without a run: the unknown name is dead-lettered and still recorded.
    const unknown = log.get("msg-unknown");
    expect(unknown).toHaveLength(1);
    expect(unknown[0]!.outcome).toBe("deadLetter");
    expect(unknown[0]!.reason).toMatch(/^unknown_message_name/);

    expect(log.recent({ outcome: "deadLetter" }).map((e) => e.name)).toEqual(["d", "nobody_handles_this"]);
    expect(log.recent({ name: "b" }).map((e) => e.outcome)).toEqual(["ack", "retry"]);
    expect(log.recent({ limit: 2 })).toHaveLength(2);
    expect(log.lineage("not-there")).toBeUndefined();
    expect(log.get("not-there")).toEqual([]);
    await log.close();
  });

  it("a second process reads what the first wrote, read-only", async () => {
    const path = file();
    const writer = await runFamily(path);
    await writer.close();
    const reader = sqliteMessageLog(path, { readOnly: true });
    expect(reader.get("msg-a")[0]!.outcome).toBe("ack");
    expect(() => reader.record(reader.get("msg-a")[0]!)).toThrow(ConfigError);
    await reader.close();
  });

  it("push dispatch records too, including messages settled without running and batch items one by one", async () => {
    const sink: MessageLogEntry[] = [];
    const app = createApp({ name: "push", logger: silentLogger });
    app.use(messageLog({ sink: { record: (e) => void sink.push(e) } }));
    app.handle("ok", () => {});
    app.handleBatch("many", {}, () => [{ index: 1, error: new PermanentError("second is bad") }]);
    const ds = [
      recordingDelivery("ok", 1),
      recordingDelivery("many", 1),
      recordingDelivery("many", 2),
      recordingDelivery("nobody", 3),
    ];
    await dispatch(app, ds);
    const byName = (name: string) => sink.filter((e) => e.name === name).map((e) => e.outcome);
    expect(byName("ok")).toEqual(["ack"]);
    expect(byName("many").sort()).toEqual(["ack", "deadLetter"]);
    expect(byName("nobody")).toEqual(["deadLetter"]);
  });

  it("a sink that throws never changes an outcome, and a middleware with only `settled` is no layer", async () => {
    const errors: unknown[] = [];
    const app = createApp({ name: "t", logger: silentLogger });
    app.use(
      messageLog({
        sink: {
          record() {
            throw new Error("disk full");
          },
        },
        onError: (e) => errors.push(e),
      }),
    );
    app.handle("ok", () => {});
    const [r] = await dispatch(app, [recordingDelivery("ok", 1)]);
    expect(r!.outcome.kind).toBe("ack");
    expect(errors).toHaveLength(1);
  });

  it("keeps only the newest maxRows entries, pruning as it writes", async () => {
    const log = sqliteMessageLog(file(), { maxRows: 100, flushMs: 1 });
    const entry = (i: number) =>
      logEntry({
        id: `m${i}`,
        receivedAt: i,
        startedAt: i,
        finishedAt: i,
        durationMs: 0,
        transport: "memory",
      });
    for (let i = 0; i < 1_000; i++) log.record(entry(i));
    log.flush();
    expect(log.recent({ limit: 10_000 }).length).toBeLessThanOrEqual(200);
    expect(log.get("m999")).toHaveLength(1);
    expect(log.get("m0")).toEqual([]);
    await log.close();

    const aged = sqliteMessageLog(file(), { maxAgeMs: 1_000, maxRows: 0 });
    for (let i = 0; i < 10; i++) aged.record(entry(i));
    aged.record({ ...entry(10), finishedAt: Date.now() });
    aged.flush();
    aged.prune();
    expect(aged.recent().map((e) => e.id)).toEqual(["m10"]);
    await aged.close();
  });

  it("finds ids by prefix, by suffix and by both, never the empty id of an undecodable message", async () => {
    const log = sqliteMessageLog(file(), { flushMs: 1 });
    const entry = (id: string) =>
      logEntry({
        id,
        name: id === "" ? undefined : "x",
        receivedAt: 0,
        startedAt: 0,
        finishedAt: 0,
        durationMs: 0,
        transport: "memory",
      });
    const ids = [
      "0193aaaa-0001-934ec3",
      "0193aaaa-0002-934ec3",
      "0194bbbb-0003-111111",
      "01a2_%x-934ec3",
      "",
    ];
    for (const id of ids) log.record(entry(id));
    log.record(entry("0193aaaa-0001-934ec3"));
    expect(log.findIds({ prefix: "0193", suffix: "934ec3" })).toEqual([
      "0193aaaa-0001-934ec3",
      "0193aaaa-0002-934ec3",
    ]);
    expect(log.findIds({ suffix: "934ec3" })).toEqual([
      "0193aaaa-0001-934ec3",
      "0193aaaa-0002-934ec3",
      "01a2_%x-934ec3",
    ]);
    expect(log.findIds({ suffix: "934ec3" }, 1)).toEqual(["0193aaaa-0001-934ec3"]);
    expect(log.findIds({ prefix: "0194" })).toEqual(["0194bbbb-0003-111111"]);
    // No wildcards: `_` and `%` are characters like any other.
    expect(log.findIds({ prefix: "01a2_%" })).toEqual(["01a2_%x-934ec3"]);
    expect(log.findIds({ prefix: "01a_" })).toEqual([]);
    // Prefix and suffix may not overlap.
    expect(log.findIds({ prefix: "0194bbbb-0003-1", suffix: "111111" })).toEqual([]);
    expect(log.findIds({})).not.toContain("");
    await log.close();
  });

  it("a path that is not a log is one clear ConfigError", () => {
    expect(() => sqliteMessageLog(join(dir, "missing.db"), { readOnly: true })).toThrow(/no message log at/);
    const junk = join(dir, "junk.db");
    writeFileSync(junk, "this is not a database, just some text that is long enough to be read");
    expect(() => sqliteMessageLog(junk)).toThrow(ConfigError);
    expect(() => sqliteMessageLog(file(), { maxRows: -1 })).toThrow(/maxRows/);
  });
});

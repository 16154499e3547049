import { describe, expect, it } from "vitest";
import { recordingDelivery } from "../../test/deliveries.ts";
import { createApp } from "../app.ts";
import { PermanentError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { dispatch } from "./push.ts";

function delivery(name: string, data: unknown, groupId?: string, log: string[] = []) {
  return recordingDelivery(name, data, { groupId, log });
}

describe("push dispatch", () => {
  const app = createApp({ name: "t", logger: silentLogger, retry: { baseDelayMs: 10 } });
  app.handle("ok", () => {});
  app.handle("fail", () => {
    throw new Error("nope");
  });
  app.handle("bad", () => {
    throw new PermanentError("bad input");
  });

  it("settles each delivery and returns outcomes in input order", async () => {
    const ds = [delivery("ok", 1), delivery("fail", 2), delivery("bad", 3), delivery("unknown_one", 4)];
    const results = await dispatch(app, ds);
    expect(results.map((r) => r.outcome.kind)).toEqual(["ack", "retry", "deadLetter", "deadLetter"]);
    expect(ds.map((d) => d.calls)).toEqual([["ack"], ["retry"], ["deadLetter"], ["deadLetter"]]);
  });

  it("FIFO: stops a group at its first failure and skips the rest of that group only", async () => {
    const log: string[] = [];
    const ds = [
      delivery("ok", "a1", "A", log),
      delivery("fail", "a2", "A", log),
      delivery("ok", "a3", "A", log),
      delivery("ok", "b1", "B", log),
      delivery("ok", "b2", "B", log),
    ];
    const results = await dispatch(app, ds, { fifo: true });
    expect(results.map((r) => r.outcome.kind)).toEqual(["ack", "retry", "skipped", "ack", "ack"]);
    // Given back uncounted, without running.
    expect(ds[2]!.calls).toEqual(["release"]);
    expect(log.filter((l) => l.startsWith('"a'))).toEqual(['"a1":ack', '"a2":retry', '"a3":release']);
  });

  it("limits concurrency", async () => {
    let running = 0;
    let peak = 0;
    const a = createApp({ name: "t", logger: silentLogger });
    a.handle("slow", async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    await dispatch(
      a,
      Array.from({ length: 20 }, (_, i) => delivery("slow", i)),
      { concurrency: 3 },
    );
    expect(peak).toBe(3);
  });

  it("feeds batch handlers in chunks and settles per-item failures", async () => {
    const a = createApp({ name: "t", logger: silentLogger, retry: { baseDelayMs: 10 } });
    const sizes: number[] = [];
    a.handleBatch("row", { maxSize: 3 }, (items) => {
      sizes.push(items.length);
      return items
        .filter((i) => i.data === 4)
        .map((i) => ({ id: i.envelope.id, error: new PermanentError("row 4 is corrupt") }));
    });
    const ds = Array.from({ length: 7 }, (_, i) => delivery("row", i));
    const results = await dispatch(a, ds);
    expect(sizes).toEqual([3, 3, 1]);
    expect(results.map((r) => r.outcome.kind)).toEqual([
      "ack",
      "ack",
      "ack",
      "ack",
      "deadLetter",
      "ack",
      "ack",
    ]);
  });

  it("creates no publisher unless a handler publishes", async () => {
    let made = 0;
    const publisher = () => {
      made++;
      return { publish: async () => {}, close: async () => {} };
    };
    await dispatch(app, [delivery("ok", 1)], { publisher });
    expect(made).toBe(0);
    const a = createApp({ name: "t", logger: silentLogger });
    a.handle("pub", (_d, ctx) => ctx.publish("other", {}));
    await dispatch(a, [delivery("pub", 1), delivery("pub", 2)], { publisher });
    expect(made).toBe(1);
  });
});

describe("dispatch logging", () => {
  it("logs every failure (retry at warn with the error, dead-letter at error with the reason) and never a body", async () => {
    const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
    const at =
      (level: string) =>
      (obj: object, msg?: string): void =>
        void lines.push({ level, obj: obj as Record<string, unknown>, msg });
    const logger = {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      child: () => logger,
      isLevelEnabled: (l: string) => l !== "debug",
    };
    const app = createApp({ name: "t", logger });
    app.handle("flaky", () => {
      throw new Error("gateway timed out");
    });
    app.handle("bad", () => {
      throw new PermanentError("card blocked");
    });
    app.handle("fine", () => {});
    await dispatch(app, [delivery("flaky", { secret: "s3cr3t" }), delivery("bad", 2), delivery("fine", 3)]);
    expect(lines.map((l) => [l.level, l.obj.messageName])).toEqual([
      ["warn", "flaky"],
      ["error", "bad"],
    ]);
    expect(String(lines[0]!.obj.error)).toContain("gateway timed out");
    expect(lines[1]!.obj.reason).toBe("permanent_error: card blocked");
    expect(JSON.stringify(lines)).not.toContain("s3cr3t");

    lines.length = 0;
    await dispatch(app, [delivery("flaky", 1)], { logOutcomes: false });
    expect(lines).toEqual([]);
  });
});

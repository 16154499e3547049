import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LocalStore, StoredRow } from "./local-store.ts";
import { MemoryStore } from "./memory.ts";
import { SqliteStore } from "./sqlite.ts";

// FIFO groups on the local stores behave as Amazon SQS FIFO queues: one receive may return several
// messages of a group, in order; while any of them is in flight the group is locked; a later
// message is never received before an earlier one still in the queue.

const VISIBILITY = 30_000;
const Q = "fifo";

function publish(store: LocalStore, labels: string[], groupId?: string, visibleAt = Date.now()): void {
  store.enqueue(
    Q,
    labels.map((l) => ({ body: new TextEncoder().encode(l), meta: { headers: {} }, visibleAt, groupId })),
  );
}

const labels = (rows: StoredRow[]) => rows.map((r) => Buffer.from(r.body).toString("utf8"));
const byLabel = (rows: StoredRow[], label: string) => {
  const row = rows.find((r) => Buffer.from(r.body).toString("utf8") === label);
  if (!row) throw new Error(`${label} was not received`);
  return row;
};

describe.each([
  ["memory", () => new MemoryStore() as LocalStore],
  ["sqlite", () => new SqliteStore(":memory:") as LocalStore],
])("%s store FIFO groups", (_kind, open) => {
  let store: LocalStore;
  let now: number;
  const advance = (ms: number) => {
    now += ms;
    vi.setSystemTime(now);
  };

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    now = Date.UTC(2026, 0, 1);
    vi.setSystemTime(now);
    store = open();
  });
  afterEach(() => {
    store.close();
    vi.useRealTimers();
  });

  it("one receive returns several messages of a group, in publish order", () => {
    publish(store, ["a1", "a2", "a3", "a4"], "a");
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["a1", "a2", "a3", "a4"]);
  });

  it("a receive stops at max and the group stays locked while those messages are in flight", () => {
    publish(store, ["a1", "a2", "a3"], "a");
    publish(store, ["b1"], "b");
    publish(store, ["u1"]);
    expect(labels(store.receive(Q, 2, VISIBILITY))).toEqual(["a1", "a2"]);
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["b1", "u1"]);
  });

  it("a group unlocks only when every message of the receive is settled", () => {
    publish(store, ["a1", "a2", "a3"], "a");
    const first = store.receive(Q, 2, VISIBILITY);
    store.ack([byLabel(first, "a1").handle]);
    expect(store.receive(Q, 10, VISIBILITY)).toEqual([]);
    store.ack([byLabel(first, "a2").handle]);
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["a3"]);
  });

  it("a retried head keeps order: its released mates come back only with it, after its delay", () => {
    publish(store, ["a1", "a2", "a3"], "a");
    const rows = store.receive(Q, 10, VISIBILITY);
    store.reschedule(byLabel(rows, "a1").handle, now + 1_000, true);
    // The Worker gives back the queued mates last first.
    store.reschedule(byLabel(rows, "a3").handle, now, false);
    store.reschedule(byLabel(rows, "a2").handle, now, false);
    expect(store.receive(Q, 10, VISIBILITY)).toEqual([]);
    advance(1_000);
    const again = store.receive(Q, 10, VISIBILITY);
    expect(labels(again)).toEqual(["a1", "a2", "a3"]);
    expect(again.map((r) => r.receiveCount)).toEqual([2, 1, 1]);
  });

  it("mates released after an acked head are received next, in order", () => {
    publish(store, ["a1", "a2", "a3", "a4"], "a");
    const rows = store.receive(Q, 3, VISIBILITY);
    store.ack([byLabel(rows, "a1").handle]);
    store.reschedule(byLabel(rows, "a3").handle, now, false);
    store.reschedule(byLabel(rows, "a2").handle, now, false);
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["a2", "a3", "a4"]);
  });

  it("a mate released before its head is settled waits for the head", () => {
    publish(store, ["a1", "a2"], "a");
    const rows = store.receive(Q, 10, VISIBILITY);
    store.reschedule(byLabel(rows, "a2").handle, now, false);
    expect(store.receive(Q, 10, VISIBILITY)).toEqual([]);
    store.ack([byLabel(rows, "a1").handle]);
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["a2"]);
  });

  it("a deferred message holds back the later messages of its group until it is due", () => {
    publish(store, ["a1", "a2", "a3"], "a");
    const rows = store.receive(Q, 2, VISIBILITY);
    store.ack([byLabel(rows, "a1").handle]);
    store.reschedule(byLabel(rows, "a2").handle, now + 5_000, false);
    expect(store.receive(Q, 10, VISIBILITY)).toEqual([]);
    advance(5_000);
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["a2", "a3"]);
  });

  it("a message published with a delay stops the group's receive there", () => {
    publish(store, ["a1"], "a");
    publish(store, ["a2"], "a", now + 10_000);
    publish(store, ["a3"], "a");
    const rows = store.receive(Q, 10, VISIBILITY);
    expect(labels(rows)).toEqual(["a1"]);
    store.ack(rows.map((r) => r.handle));
    expect(store.receive(Q, 10, VISIBILITY)).toEqual([]);
    advance(10_000);
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["a2", "a3"]);
  });

  it("after a crash (visibility expiry) the group comes back whole, in order, with its later messages", () => {
    publish(store, ["a1", "a2", "a3"], "a");
    expect(store.receive(Q, 10, VISIBILITY)).toHaveLength(3);
    publish(store, ["a4"], "a");
    advance(VISIBILITY - 1);
    expect(store.receive(Q, 10, VISIBILITY)).toEqual([]);
    advance(1);
    const again = store.receive(Q, 10, VISIBILITY);
    expect(labels(again)).toEqual(["a1", "a2", "a3", "a4"]);
    expect(again.map((r) => r.receiveCount)).toEqual([2, 2, 2, 1]);
  });

  it("a group stays locked while one message of its receive is still extended after the others expired", () => {
    publish(store, ["a1", "a2"], "a");
    const rows = store.receive(Q, 10, VISIBILITY);
    store.extend(byLabel(rows, "a2").handle, now + 2 * VISIBILITY);
    advance(VISIBILITY);
    expect(store.receive(Q, 10, VISIBILITY)).toEqual([]);
    store.ack([byLabel(rows, "a2").handle]);
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["a1"]);
  });

  it("an expired receive taken back in part parks the rest behind its head", () => {
    publish(store, ["a1", "a2", "a3"], "a");
    store.receive(Q, 10, VISIBILITY);
    advance(VISIBILITY);
    const part = store.receive(Q, 1, VISIBILITY);
    expect(labels(part)).toEqual(["a1"]);
    expect(store.receive(Q, 10, VISIBILITY)).toEqual([]);
    store.ack(part.map((r) => r.handle));
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["a2", "a3"]);
  });

  it("dead-lettering the head lets the next message of the group be received", () => {
    publish(store, ["a1", "a2"], "a");
    const [head] = store.receive(Q, 1, VISIBILITY);
    store.deadLetter(Q, head!.handle, "broken");
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["a2"]);
  });

  it("other groups and ungrouped messages are received while a group is locked, oldest first", () => {
    publish(store, ["a1", "a2"], "a");
    publish(store, ["u1"]);
    publish(store, ["b1", "b2"], "b");
    publish(store, ["u2"]);
    const first = store.receive(Q, 1, VISIBILITY);
    expect(labels(first)).toEqual(["a1"]);
    expect(labels(store.receive(Q, 10, VISIBILITY))).toEqual(["u1", "b1", "b2", "u2"]);
  });

  it("a redriven message rejoins its group behind the messages waiting there", () => {
    publish(store, ["a1", "a2"], "a");
    const [head] = store.receive(Q, 1, VISIBILITY);
    store.deadLetter(Q, head!.handle, "broken");
    expect(store.redrive(Q, 10)).toBe(1);
    const rows = store.receive(Q, 10, VISIBILITY);
    expect(labels(rows)).toEqual(["a2", "a1"]);
    expect(rows.map((r) => r.groupId)).toEqual(["a", "a"]);
    expect(rows[1]!.meta.headers).toEqual({});
  });
});

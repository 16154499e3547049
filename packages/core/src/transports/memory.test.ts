import { describe, expect, it } from "vitest";
import { MemoryStore } from "./memory.ts";

const body = new TextEncoder().encode('{"name":"order_created","data":{}}');

function publish(store: MemoryStore, queue: string, count: number, groups = 0): void {
  store.enqueue(
    queue,
    Array.from({ length: count }, (_, i) => ({
      body,
      meta: { headers: {} },
      visibleAt: Date.now(),
      groupId: groups > 0 ? `g${i % groups}` : undefined,
    })),
  );
}

function drain(store: MemoryStore, queue: string): number {
  let n = 0;
  for (;;) {
    const rows = store.receive(queue, 10, 30_000);
    if (rows.length === 0) return n;
    n += rows.length;
    store.ack(rows.map((r) => r.handle));
  }
}

describe("MemoryStore retention", () => {
  it("keeps nothing of a message once it is acked: no message, no scheduled entry, no group", () => {
    const store = new MemoryStore();
    publish(store, "plain", 1_000);
    publish(store, "fifo", 1_000, 7);
    expect(drain(store, "plain")).toBe(1_000);
    expect(drain(store, "fifo")).toBe(1_000);
    for (const queue of ["plain", "fifo"]) {
      expect(store.stats(queue)).toMatchObject({ messages: 0, scheduled: 0, groups: 0 });
    }
    store.close();
  });

  it("keeps one scheduled entry per live message however often it is extended or returned", () => {
    const store = new MemoryStore();
    publish(store, "q", 3);
    const rows = store.receive("q", 10, 30_000);
    for (let i = 0; i < 100; i++) for (const r of rows) store.extend(r.handle, Date.now() + 60_000 + i);
    for (const r of rows) store.reschedule(r.handle, Date.now() + 1_000, false);
    expect(store.stats("q")).toMatchObject({ messages: 3, scheduled: 3 });
    store.close();
  });

  it("frees a dead-lettered message from the queue (only its dead letter stays)", () => {
    const store = new MemoryStore();
    publish(store, "q", 5, 2);
    for (const r of store.receive("q", 10, 30_000)) store.deadLetter("q", r.handle, "broken");
    for (const r of store.receive("q", 10, 30_000)) store.deadLetter("q", r.handle, "broken");
    for (const r of store.receive("q", 10, 30_000)) store.deadLetter("q", r.handle, "broken");
    expect(store.stats("q")).toMatchObject({ messages: 0, scheduled: 0, groups: 0, deadLetters: 5 });
    store.close();
  });
});

describe("MemoryStore receive cost", () => {
  it("examines a bounded number of entries per receive, however many messages of busy groups wait", () => {
    const store = new MemoryStore();
    publish(store, "fifo", 20_000, 4);
    // Lock every group: each receive takes a run of one group.
    const held = [0, 1, 2, 3].map(() => store.receive("fifo", 10, 30_000));
    expect(held.every((rows) => rows.length === 10)).toBe(true);
    const before = store.stats("fifo").examined;
    expect(store.receive("fifo", 10, 30_000)).toHaveLength(0);
    expect(store.stats("fifo").examined - before).toBeLessThanOrEqual(10);
    store.ack(held.flat().map((r) => r.handle));
    const next = store.stats("fifo").examined;
    expect(store.receive("fifo", 10, 30_000)).toHaveLength(10);
    expect(store.stats("fifo").examined - next).toBeLessThanOrEqual(2 * 10);
    store.close();
  });
});

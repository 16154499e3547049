import { describe, expect, it } from "vitest";
import { Headers } from "../envelope.ts";
import type { LocalStore } from "./local-store.ts";
import { MemoryStore } from "./memory.ts";
import { SqliteStore } from "./sqlite.ts";

const body = new TextEncoder().encode('{"name":"order_created","data":{}}');

describe.each([
  ["memory", () => new MemoryStore() as LocalStore],
  ["sqlite", () => new SqliteStore(":memory:") as LocalStore],
])("%s store dead letters", (_kind, open) => {
  it("carry the shared dead-letter headers (reason, queue, runs; no not-before) and redrive removes them", () => {
    const store = open();
    const headers = { [Headers.notBefore]: new Date(0).toISOString(), keep: "1" };
    store.enqueue("q", [{ body, meta: { id: "m1", headers }, visibleAt: 0 }]);
    const [first] = store.receive("q", 1, 30_000);
    store.reschedule(first!.handle, 0, true);
    const [second] = store.receive("q", 1, 30_000);
    store.deadLetter("q", second!.handle, "broken");

    const [dead] = store.listDeadLetters("q", 10);
    expect(dead).toMatchObject({ id: "m1", reason: "broken", attempts: 2 });
    expect(dead!.headers).toMatchObject({
      keep: "1",
      [Headers.deadLetterReason]: "broken",
      [Headers.originalQueue]: "q",
      [Headers.attempt]: "2",
    });
    expect(dead!.headers[Headers.notBefore]).toBeUndefined();

    expect(store.redrive("q", 10)).toBe(1);
    const [again] = store.receive("q", 1, 30_000);
    expect(again!.meta.headers).toEqual({ keep: "1" });
    expect(again!.receiveCount).toBe(1);
    store.close();
  });
});

import { describe, expect, it } from "vitest";
import { within } from "./within.ts";

describe("within", () => {
  it("gives the work's value or error when it settles in time", async () => {
    await expect(within(1_000, Promise.resolve(7), () => new Error("late"))).resolves.toBe(7);
    await expect(within(1_000, Promise.reject(new Error("no")), () => new Error("late"))).rejects.toThrow(
      "no",
    );
  });

  it("rejects with late() at the limit, and a rejection of the work after it is handled", async () => {
    let fail: (e: Error) => void = () => {};
    const work = new Promise<number>((_, reject) => {
      fail = reject;
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      await expect(within(20, work, () => new Error("no answer within 20 ms"))).rejects.toThrow(
        "no answer within 20 ms",
      );
      fail(new Error("too late"));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

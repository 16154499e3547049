import type { Message } from "amqplib";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HeldMessages, messageKey } from "./held.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("held messages (a copy the broker refused)", () => {
  it("gives a message back after 1 s, doubling per refusal up to 30 s; an accepted copy starts over", () => {
    const held = new HeldMessages();
    const waits = Array.from({ length: 7 }, () => held.hold("m-1", () => {}));
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    held.accepted("m-1");
    expect(held.hold("m-1", () => {})).toBe(1_000);
    expect(held.hold("m-2", () => {})).toBe(1_000);
  });

  it("counts what it holds until given back, and clear() drops the timers (the channel gave them back)", () => {
    const held = new HeldMessages();
    const givenBack: string[] = [];
    held.hold("a", () => givenBack.push("a"));
    held.hold("b", () => givenBack.push("b"));
    held.hold("b", () => givenBack.push("b again"));
    expect(held.size).toBe(3);
    vi.advanceTimersByTime(1_000);
    expect(givenBack).toEqual(["a", "b"]);
    expect(held.size).toBe(1);
    held.clear();
    vi.advanceTimersByTime(60_000);
    expect(givenBack).toEqual(["a", "b"]);
    expect(held.size).toBe(0);
  });

  it("keys a message by its message_id, or by its body when a foreign producer sent none", () => {
    const message = (messageId: string | undefined, body: string) =>
      ({ content: Buffer.from(body), properties: { messageId } }) as unknown as Message;
    expect(messageKey(message("id-1", "x"))).toBe("id-1");
    expect(messageKey(message(undefined, "x"))).toBe(messageKey(message(undefined, "x")));
    expect(messageKey(message(undefined, "x"))).not.toBe(messageKey(message(undefined, "y")));
  });
});

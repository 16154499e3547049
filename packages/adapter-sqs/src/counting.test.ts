import { describe, expect, it } from "vitest";
import { AttemptCounting, FIFO_DEFER_HOP_MS } from "./counting.ts";
import { type Received, readReceived } from "./message.ts";

const received = (receiveCount: number, runsCarried?: number): Received =>
  readReceived({
    messageId: "m-1",
    receiptHandle: "rh",
    body: "{}",
    attributes:
      runsCarried === undefined
        ? undefined
        : { "mailroom-attempt": { DataType: "String", StringValue: String(runsCarried) } },
    receiveCount: String(receiveCount),
    sentTimestamp: undefined,
    groupId: undefined,
  });

describe("attempt on SQS queues", () => {
  it("standard queue: runs carried by the copy + SQS's receives of it, and no receive limit facts", () => {
    const counting = new AttemptCounting(false);
    expect(counting.attempt(received(1))).toBe(1);
    expect(counting.attempt(received(3, 2))).toBe(5);
    expect(counting.receiveFacts(received(3))).toEqual({});
  });

  it("FIFO queue: receives do not count; runs this process saw retried do, until the message is done", () => {
    const counting = new AttemptCounting(true);
    const r = received(40, 1);
    expect(counting.attempt(r)).toBe(2);
    counting.ran(r);
    counting.ran(r);
    expect(counting.attempt(received(41, 1))).toBe(4);
    expect(counting.receiveFacts(r)).toEqual({ receiveCount: 40, deferHopMs: FIFO_DEFER_HOP_MS });
    counting.done(r);
    expect(counting.attempt(r)).toBe(2);
  });
});

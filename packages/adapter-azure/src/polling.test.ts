import { describe, expect, it } from "vitest";
import { PollPacer } from "./polling.ts";

describe("PollPacer", () => {
  it("polls at once while messages come, doubles the pause from minPoll on each empty poll up to maxPoll, and resets on messages", () => {
    const pacer = new PollPacer({ minPollMs: 100, maxPollMs: 5_000 });
    expect(pacer.pauseMs).toBe(0);
    const pauses: number[] = [];
    for (let i = 0; i < 9; i++) {
      pacer.polled(0, 0);
      pauses.push(pacer.pauseMs);
    }
    expect(pauses).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000]);
    expect(pacer.nextPollAt).toBe(5_000);
    pacer.polled(3, 10_000);
    expect(pacer.pauseMs).toBe(0);
    expect(pacer.nextPollAt).toBe(10_000);
  });

  it("an idle queue costs 60,000 / maxPoll requests a minute once backed off: 12 at the default 5 s", () => {
    const pacer = new PollPacer({ minPollMs: 100, maxPollMs: 5_000 });
    let now = 0;
    let polls = 0;
    // Back off first, then count one minute of polls.
    while (pacer.pauseMs < 5_000) {
      pacer.polled(0, now);
      now = pacer.nextPollAt;
    }
    const start = now;
    while (now < start + 60_000) {
      pacer.polled(0, now);
      polls++;
      now = pacer.nextPollAt;
    }
    expect(polls).toBe(12);
  });

  it("on an idle queue one receive polls at a time: the next waits for its turn; while messages flow all poll at once", async () => {
    const pacer = new PollPacer({ minPollMs: 10, maxPollMs: 10 });
    const signal = new AbortController().signal;
    const a = await pacer.turn(signal);
    const b = await pacer.turn(signal);
    expect(a && b).toBeTruthy();
    a!();
    b!();
    pacer.polled(0);
    const first = await pacer.turn(signal);
    let secondGot = false;
    const second = pacer.turn(signal).then((release) => {
      secondGot = true;
      return release;
    });
    await new Promise((r) => setImmediate(r));
    expect(secondGot).toBe(false);
    first!();
    (await second)!();
    expect(secondGot).toBe(true);
  });

  it("a receive waiting for its turn gives up at once when its signal aborts", async () => {
    const pacer = new PollPacer({ minPollMs: 10, maxPollMs: 10 });
    pacer.polled(0);
    const held = await pacer.turn(new AbortController().signal);
    const stop = new AbortController();
    const waiting = pacer.turn(stop.signal);
    stop.abort();
    expect(await waiting).toBeUndefined();
    held!();
  });

  it("wake ends a pause at once and starts the back-off over (a message this process just sent is polled for now)", async () => {
    const pacer = new PollPacer({ minPollMs: 60_000, maxPollMs: 60_000 });
    pacer.polled(0);
    const signal = new AbortController().signal;
    const began = Date.now();
    const pausing = pacer.pause(pacer.nextPollAt, signal);
    pacer.wake();
    expect(await pausing).toBe(true);
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(pacer.pauseMs).toBe(0);
    const stop = new AbortController();
    const aborted = pacer.pause(Date.now() + 60_000, stop.signal);
    stop.abort();
    expect(await aborted).toBe(false);
  });
});

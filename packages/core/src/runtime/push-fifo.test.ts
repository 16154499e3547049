import { describe, expect, it } from "vitest";
import { type RecordingDelivery, recordingDelivery } from "../../test/deliveries.ts";
import { createApp } from "../app.ts";
import { silentLogger } from "../logger.ts";
import { dispatch } from "./push.ts";

/** A constructed push record of a FIFO group. */
function record(
  name: string,
  data: unknown,
  groupId: string,
  options: { notBefore?: Date; failSettle?: boolean } = {},
): RecordingDelivery {
  const headers: Record<string, string> = options.notBefore
    ? { "not-before": options.notBefore.toISOString() }
    : {};
  return recordingDelivery(name, data, { groupId, headers, failSettle: options.failSettle });
}

describe("push dispatch, FIFO: once a record of a group is not done, every later record of that group is given back", () => {
  const ran: unknown[] = [];
  const app = createApp({ name: "fifo", logger: silentLogger });
  app.handle("step", (data) => {
    ran.push(data);
  });

  it("a record whose not-before is not due holds back its group: [a1 not due, a2] runs neither", async () => {
    ran.length = 0;
    const a1 = record("step", "a1", "A", { notBefore: new Date(Date.now() + 60_000) });
    const a2 = record("step", "a2", "A");
    const b1 = record("step", "b1", "B");
    const results = await dispatch(app, [a1, a2, b1], { fifo: true });
    expect(results.map((r) => r.outcome.kind)).toEqual(["defer", "skipped", "ack"]);
    expect(ran).toEqual(["b1"]);
    expect(a1.calls).toEqual(["defer"]);
    expect(a2.calls).toEqual(["release"]);
  });

  it("a record whose settle fails holds back its group", async () => {
    ran.length = 0;
    const a1 = record("step", "a1", "A", { failSettle: true });
    const a2 = record("step", "a2", "A");
    const results = await dispatch(app, [a1, a2], { fifo: true });
    expect(results[0]!.settleError).toBeInstanceOf(Error);
    expect(results[1]!.outcome.kind).toBe("skipped");
    expect(ran).toEqual(["a1"]);
    expect(a2.calls).toEqual(["release"]);
  });

  it("a dead-lettered record does not hold back its group (it is done with)", async () => {
    ran.length = 0;
    const a1 = record("nobody_handles_this", "a1", "A");
    const a2 = record("step", "a2", "A");
    const results = await dispatch(app, [a1, a2], { fifo: true });
    expect(results.map((r) => r.outcome.kind)).toEqual(["deadLetter", "ack"]);
    expect(ran).toEqual(["a2"]);
  });
});

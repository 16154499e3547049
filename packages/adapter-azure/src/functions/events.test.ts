import { describe, expect, it } from "vitest";
import { appSetting, type FunctionInvocation, readInvocation } from "./events.ts";

const context = (
  trigger: FunctionInvocation["options"]["trigger"],
  triggerMetadata: Record<string, unknown>,
): FunctionInvocation => ({
  triggerMetadata,
  options: { trigger },
  extraOutputs: { set() {} },
});

describe("reading a Functions invocation", () => {
  it("resolves %NAME% binding expressions in queue and topic names from the app settings, as the host does", () => {
    expect(appSetting("%ORDERS_QUEUE%", { ORDERS_QUEUE: "orders-eu" })).toBe("orders-eu");
    expect(appSetting("orders", {})).toBe("orders");
    process.env.MAILROOM_TEST_QUEUE = "orders-eu";
    try {
      const [m] = readInvocation(
        { name: "a", data: 1 },
        context({ type: "queueTrigger", queueName: "%MAILROOM_TEST_QUEUE%" }, { dequeueCount: "3", id: "x" }),
      );
      expect(m).toMatchObject({ kind: "storageQueue", source: "orders-eu", receiveCount: 3, messageId: "x" });
    } finally {
      delete process.env.MAILROOM_TEST_QUEUE;
    }
  });

  it("turns what the host handed over back into the body's bytes: parsed JSON, text and binary", () => {
    const trigger = { type: "queueTrigger", queueName: "q" };
    const body = (entry: unknown) =>
      new TextDecoder().decode(readInvocation(entry, context(trigger, {}))[0]!.body);
    expect(body({ name: "a", data: { id: 1 } })).toBe(`{"name":"a","data":{"id":1}}`);
    expect(body("plain text")).toBe("plain text");
    expect(body(Buffer.from([0x7b, 0x7d]))).toBe("{}");
    expect(body(42)).toBe("42");
  });

  it("refuses a trigger it does not handle", () => {
    expect(() => readInvocation({}, context({ type: "timerTrigger" }, {}))).toThrow(/not "timerTrigger"/);
  });
});

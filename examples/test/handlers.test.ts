import { createApp, registerAll, silentLogger } from "@mailroom/core";
import { testApp } from "@mailroom/core/testkit";
import { describe, expect, it } from "vitest";
import fraudCheck from "../handlers/fraud_check.ts";
import invoiceRequested from "../handlers/invoice_requested.ts";
import orderCreated from "../handlers/order_created.ts";
import paymentCaptured from "../handlers/payment_captured.ts";

function kit() {
  const app = registerAll(createApp({ name: "examples", logger: silentLogger }), [
    orderCreated,
    invoiceRequested,
    paymentCaptured,
    fraudCheck,
  ]);
  return testApp(app);
}

describe("examples/handlers", () => {
  it("order_created validates the order and asks for its invoice, keeping lineage", async () => {
    const r = await kit().send("order_created", { id: "o-1", customer: "ada@example.com", total: 42.5 });
    expect(r.outcome).toEqual({ kind: "ack" });
    expect(r.published).toHaveLength(1);
    expect(r.published[0]).toMatchObject({
      name: "invoice_requested",
      data: { orderId: "o-1", customer: "ada@example.com", amount: 42.5 },
      parentId: (r.envelope as { id: string }).id,
    });
  });

  it("order_created dead-letters an order that fails the zod schema, publishing nothing", async () => {
    const r = await kit().send("order_created", { id: "o-1", customer: "ada@example.com", total: -5 });
    expect(r.outcome).toMatchObject({ kind: "deadLetter", reason: expect.stringContaining("total") });
    expect(r.published).toEqual([]);
  });

  it("invoice_requested acks", async () => {
    const r = await kit().send("invoice_requested", { orderId: "o-1", customer: "c", amount: 1 });
    expect(r.outcome).toEqual({ kind: "ack" });
  });

  it("payment_captured with flaky: true fails its first attempt (retried within 200 ms) and acks the second", async () => {
    const k = kit();
    const data = { orderId: "o-1", amount: 9, flaky: true };
    const first = await k.send("payment_captured", data, { attempt: 1 });
    expect(first.outcome).toMatchObject({ kind: "retry" });
    expect(first.outcome.kind === "retry" && first.outcome.delayMs).toBeLessThan(200);
    expect((await k.send("payment_captured", data, { attempt: 2 })).outcome).toEqual({ kind: "ack" });
    expect((await k.send("payment_captured", { orderId: "o-2", amount: 1 })).outcome).toEqual({
      kind: "ack",
    });
  });

  it("fraud_check dead-letters a score over 0.9 with a permanent_error reason, acks the rest", async () => {
    const k = kit();
    const risky = await k.send("fraud_check", { orderId: "o-1", score: 0.97 });
    expect(risky.outcome).toEqual({
      kind: "deadLetter",
      reason: "permanent_error: fraud score 0.97 is over 0.9 for order o-1",
    });
    expect((await k.send("fraud_check", { orderId: "o-2", score: 0.9 })).outcome).toEqual({ kind: "ack" });
  });
});

import type { Message } from "amqplib";
import { describe, expect, it } from "vitest";
import { deadLetterCopy, delayedCopy, plannedHeaders, redriveCopy } from "./copies.ts";
import { resolveOptions } from "./options.ts";

const options = resolveOptions({ queue: "orders" });

/** A received message as amqplib hands it over (only the fields copies read). */
function received(headers: Record<string, unknown>, messageId?: string): Message {
  return {
    content: Buffer.from('{"id":7}'),
    fields: { exchange: "events", routingKey: "order_created", deliveryTag: 1, redelivered: false },
    properties: { headers, messageId, contentType: "order_created" },
  } as unknown as Message;
}

describe("copies", () => {
  it("plannedHeaders applies core's string plan and keeps every other header with its AMQP type", () => {
    const out = plannedHeaders({ retries: -7, nested: { a: 1 }, gone: "x", kept: "y" }, (h) => {
      delete h.gone;
      h.added = "z";
      return h;
    });
    expect(out).toEqual({
      retries: { "!": "int", value: -7 },
      nested: { a: { "!": "int", value: 1 } },
      kept: "y",
      added: "z",
    });
  });

  it("a retry copy goes to the bucket's retry queue, mandatory, with the runs so far and the envelope id as message_id", () => {
    const copy = delayedCopy("retry", received({ traceparent: "t" }), "env-1", 2, 1_000, options, 0);
    expect(copy).toMatchObject({ exchange: "", routingKey: "orders.retry.1000" });
    expect(copy.options).toMatchObject({ mandatory: true, messageId: "env-1", contentType: "order_created" });
    expect(copy.options.headers).toEqual({
      traceparent: "t",
      "mailroom-attempt": "2",
      "mailroom-original-exchange": "events",
      "mailroom-original-routing-key": "order_created",
    });
  });

  it("a defer copy carries the runs before this receive, and not-before when one hop is not enough", () => {
    const copy = delayedCopy(
      "defer",
      received({ "mailroom-attempt": "3" }, "own-id"),
      "own-id",
      4,
      7_200_000,
      options,
      0,
    );
    expect(copy.routingKey).toBe("orders.retry.3600000");
    expect(copy.options.messageId).toBe("own-id");
    expect(copy.options.headers).toMatchObject({
      "mailroom-attempt": "3",
      "not-before": new Date(7_200_000).toISOString(),
    });
  });

  it("a dead-letter copy has core's dead-letter headers and no not-before; redrive removes them again", () => {
    const dead = deadLetterCopy(
      received({ "not-before": "2030-01-01T00:00:00.000Z", count: 5 }),
      "env-2",
      { reason: "permanent_error: no", attempts: 1 },
      options,
    );
    expect(dead).toMatchObject({ exchange: "", routingKey: "orders.dlq" });
    expect(dead.options.headers).toMatchObject({
      count: { "!": "int", value: 5 },
      "mailroom-dead-letter-reason": "permanent_error: no",
      "mailroom-attempt": "1",
      "mailroom-original-queue": "orders",
    });
    expect(dead.options.headers).not.toHaveProperty("not-before");
    const back = redriveCopy(
      received(dead.options.headers as Record<string, unknown>, "env-2"),
      "env-2",
      "other",
    );
    expect(back).toMatchObject({ exchange: "", routingKey: "orders" });
    expect(Object.keys(back.options.headers as object).sort()).toEqual([
      "count",
      "mailroom-original-exchange",
      "mailroom-original-routing-key",
    ]);
  });
});

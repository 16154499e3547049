import { describe, expect, it } from "vitest";
import { resolveOptions } from "./options.ts";
import { destinationOf } from "./publisher.ts";

describe("where a message is published", () => {
  const toQueue = resolveOptions({ queue: "orders" });
  const toExchange = resolveOptions({ queue: "orders", exchange: "events" });

  it("goes to the exchange with routing key = name, else straight to the queue", () => {
    expect(destinationOf({ name: "order_created", data: 1 }, toExchange)).toEqual({
      exchange: "events",
      routingKey: "order_created",
    });
    expect(destinationOf({ name: "order_created", data: 1 }, toQueue)).toEqual({
      exchange: "",
      routingKey: "orders",
    });
  });

  it("honours `to` as exchange:routingKey or a queue name", () => {
    expect(destinationOf({ name: "x", data: 1, to: "audit:order.created" }, toExchange)).toEqual({
      exchange: "audit",
      routingKey: "order.created",
    });
    expect(destinationOf({ name: "x", data: 1, to: "amq.rabbitmq.reply-to.g1h2" }, toExchange)).toEqual({
      exchange: "",
      routingKey: "amq.rabbitmq.reply-to.g1h2",
    });
  });
});

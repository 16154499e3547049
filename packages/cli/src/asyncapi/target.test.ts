import { describe, expect, it } from "vitest";
import { CliError } from "../errors.ts";
import { channelTarget } from "./target.ts";

describe("channelTarget", () => {
  it("reads the queue of every transport URL as its adapter does, and the broker without credentials", () => {
    expect(channelTarget("sqlite:./.mailroom/queue.db")).toEqual({ kind: "sqlite", queue: "default" });
    expect(channelTarget("sqlite:./q.db?queue=orders&visibility=30s")).toEqual({
      kind: "sqlite",
      queue: "orders",
    });
    expect(channelTarget("memory:?queue=q&namespace=t")).toEqual({ kind: "memory", queue: "q" });
    expect(channelTarget("sqs://us-east-1/123456789012/orders.fifo?wait=5")).toEqual({
      kind: "sqs",
      queue: "orders.fifo",
      server: { host: "us-east-1", protocol: "sqs" },
    });
    expect(channelTarget("mns+http://127.0.0.1:9911/orders").server).toEqual({
      host: "127.0.0.1:9911",
      protocol: "mns",
    });
    expect(channelTarget("azure-queue://acct:a2V5@acct/orders")).toEqual({
      kind: "azure-queue",
      queue: "orders",
      server: { host: "acct", protocol: "azure-queue" },
    });
    expect(channelTarget("redis://:pw@127.0.0.1:6379/0")).toEqual({
      kind: "redis",
      queue: "mailroom",
      server: { host: "127.0.0.1:6379", protocol: "redis" },
    });
    expect(channelTarget("amqps://u:p@mq.example.com/%2f?queue=orders")).toEqual({
      kind: "amqps",
      queue: "orders",
      vhost: "/",
      exchange: undefined,
      server: { host: "mq.example.com", protocol: "amqps", pathname: "/%2F" },
    });
    expect(channelTarget("amqp://h/?queue=q&exchange=events&exchangeType=direct").exchange).toEqual({
      name: "events",
      type: "direct",
    });
  });

  it("a URL naming no queue where one is needed, an unknown scheme or no URL at all is a CliError", () => {
    expect(() => channelTarget("sqs://us-east-1")).toThrow(CliError);
    expect(() => channelTarget("sqs://us-east-1")).toThrow(/names no queue/);
    expect(() => channelTarget("kafka://h/topic")).toThrow(/unknown transport scheme "kafka:"/);
    expect(() => channelTarget("not a url")).toThrow(/is not a valid transport URL/);
  });
});

import { describe, expect, it } from "vitest";
import { parseSqsUrl, queueNameOf } from "./url.ts";

describe("parseSqsUrl", () => {
  it("reads region and queue name", () => {
    expect(parseSqsUrl("sqs://us-east-1/orders")).toEqual({ region: "us-east-1", queueName: "orders" });
  });

  it("builds the queue URL when the account is given, under the endpoint override too", () => {
    expect(parseSqsUrl("sqs://eu-west-1/123456789012/orders.fifo").queueUrl).toBe(
      "https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo",
    );
    const local = parseSqsUrl("sqs://us-east-1/000000000000/orders?endpoint=http://127.0.0.1:4566/");
    expect(local).toMatchObject({
      endpoint: "http://127.0.0.1:4566",
      queueUrl: "http://127.0.0.1:4566/000000000000/orders",
    });
  });

  it("accepts a queue URL host", () => {
    expect(parseSqsUrl("sqs://sqs.ap-southeast-1.amazonaws.com/123456789012/jobs")).toMatchObject({
      region: "ap-southeast-1",
      queueName: "jobs",
      queueUrl: "https://sqs.ap-southeast-1.amazonaws.com/123456789012/jobs",
    });
  });

  it("reads every query option", () => {
    expect(
      parseSqsUrl("sqs://us-east-1/orders?dlq=orders-dlq&wait=5&visibility=45s&flush=10ms&group=all"),
    ).toMatchObject({
      deadLetterQueue: "orders-dlq",
      waitTimeSeconds: 5,
      visibilityTimeoutMs: 45_000,
      ackFlushMs: 10,
      defaultGroupId: "all",
    });
  });

  it("refuses credentials in the URL without repeating them", () => {
    let message = "";
    try {
      parseSqsUrl("sqs://AKIAEXAMPLE:s3cr3t@us-east-1/orders");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must not carry credentials/);
    expect(message).not.toContain("s3cr3t");
    expect(message).not.toContain("AKIAEXAMPLE");
  });

  it("rejects a host that is no region, a bad wait and unknown options", () => {
    expect(() => parseSqsUrl("sqs://localhost/orders")).toThrow(/not an AWS region/);
    expect(() => parseSqsUrl("sqs://us-east-1/orders?wait=21")).toThrow(/0–20/);
    expect(() => parseSqsUrl("sqs://us-east-1/orders?color=red")).toThrow(
      /unknown sqs:\/\/ option "\?color="/,
    );
  });

  it("takes the queue name from URLs and ARNs", () => {
    expect(queueNameOf("arn:aws:sqs:us-east-1:123456789012:orders-dlq")).toBe("orders-dlq");
    expect(queueNameOf("https://sqs.us-east-1.amazonaws.com/123456789012/orders")).toBe("orders");
  });
});

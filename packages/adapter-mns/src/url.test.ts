import { ConfigError } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { parseMnsUrl } from "./url.ts";

describe("parseMnsUrl", () => {
  it("reads account, region endpoint (HTTPS) and queue from mns://", () => {
    expect(parseMnsUrl("mns://1234567890.mns.cn-hangzhou.aliyuncs.com/orders")).toEqual({
      endpoint: "https://1234567890.mns.cn-hangzhou.aliyuncs.com",
      accountId: "1234567890",
      queue: "orders",
      options: {},
    });
  });

  it("mns+http:// is plain HTTP and takes the account from the query", () => {
    const p = parseMnsUrl(
      "mns+http://127.0.0.1:4000/orders?accountId=42&dlq=orders-dead&wait=5&visibility=30s",
    );
    expect(p).toMatchObject({ endpoint: "http://127.0.0.1:4000", accountId: "42", queue: "orders" });
    expect(p.options).toEqual({
      deadLetterQueue: "orders-dead",
      waitSeconds: 5,
      visibilityTimeoutMs: 30_000,
    });
  });

  it("reads create, maxReceiveCount, encodings and priority", () => {
    const p = parseMnsUrl(
      "mns://1.mns.cn-shanghai.aliyuncs.com/q?create=true&maxReceiveCount=5&encoding=text&receiveEncoding=base64&priority=3",
    );
    expect(p.options).toEqual({
      createQueues: true,
      maxReceiveCount: 5,
      bodyEncoding: "text",
      receiveEncoding: "base64",
      priority: 3,
    });
  });

  it("takes user:password as AccessKey id and secret, and never repeats the secret in errors", () => {
    expect(parseMnsUrl("mns://AK:S%2Fecret@1.mns.cn-hangzhou.aliyuncs.com/q").options).toEqual({
      accessKeyId: "AK",
      accessKeySecret: "S/ecret",
    });
    try {
      parseMnsUrl("mns://AK:topsecret@1.mns.cn-hangzhou.aliyuncs.com/bad_name!");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain("topsecret");
    }
  });

  it("refuses other schemes, bad queue names and bad values", () => {
    expect(() => parseMnsUrl("sqs://x/q")).toThrow(/not an MNS scheme/);
    expect(() => parseMnsUrl("mns://1.mns.cn-hangzhou.aliyuncs.com/")).toThrow(/queue name/);
    expect(() => parseMnsUrl("mns://1.mns.cn-hangzhou.aliyuncs.com/q?encoding=hex")).toThrow(/not one of/);
    expect(() => parseMnsUrl("mns://1.mns.cn-hangzhou.aliyuncs.com/q?maxReceiveCount=0")).toThrow(/positive/);
  });
});

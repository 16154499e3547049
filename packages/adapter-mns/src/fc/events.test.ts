import { describe, expect, it } from "vitest";
import { readFcEvent } from "./events.ts";

const cloudEvent = {
  id: "1",
  specversion: "1.0",
  type: "mns:Queue:SendMessage",
  subject: "acs:mns:cn-hangzhou:123:queues/orders",
  time: "2026-11-23T06:28:17.093Z",
  data: { requestId: "r", messageId: "m1", messageBody: "TEST" },
};

describe("readFcEvent", () => {
  it("reads one queue-trigger CloudEvent, with queue, region and account from the subject", () => {
    expect(readFcEvent(Buffer.from(JSON.stringify(cloudEvent)))).toEqual([
      {
        kind: "queue",
        messageId: "m1",
        body: "TEST",
        source: "orders",
        region: "cn-hangzhou",
        accountId: "123",
        publishedAt: new Date("2026-11-23T06:28:17.093Z"),
        raw: cloudEvent,
      },
    ]);
  });

  it("reads a batch array", () => {
    const batch = [cloudEvent, { ...cloudEvent, data: { ...cloudEvent.data, messageId: "m2" } }];
    expect(readFcEvent(JSON.stringify(batch)).map((m) => m.messageId)).toEqual(["m1", "m2"]);
  });

  it('reads the "RawData" push format: the data objects alone, one or a batch', () => {
    const data = { requestId: "r", messageId: "m1", messageBody: "TEST" };
    const expected = {
      kind: "queue",
      messageId: "m1",
      body: "TEST",
      source: undefined,
      publishedAt: undefined,
      raw: data,
    };
    expect(readFcEvent(JSON.stringify(data))).toEqual([expected]);
    expect(readFcEvent(JSON.stringify([data, data]))).toEqual([expected, expected]);
  });

  it("reads the topic trigger's JSON format", () => {
    const n = {
      TopicOwner: "123",
      TopicName: "events",
      Subscriber: "123",
      SubscriptionName: "s",
      MessageId: "m",
      MessageMD5: "x",
      Message: "hello",
      PublishTime: 1550216302888,
    };
    expect(readFcEvent(JSON.stringify(n))[0]).toMatchObject({
      kind: "topic",
      body: "hello",
      source: "events",
      publishedAt: new Date(1550216302888),
    });
  });

  it("anything else is the STREAM format: the raw body", () => {
    for (const raw of ['{"name":"x","data":1}', "plain", "[1,2]"]) {
      expect(readFcEvent(Buffer.from(raw))).toEqual([
        { kind: "stream", messageId: undefined, body: raw, source: undefined, publishedAt: undefined, raw },
      ]);
    }
  });
});

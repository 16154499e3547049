import { cloudEventsCodec, Headers } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import {
  MAX_ATTRIBUTES,
  packAttributes,
  packResendAttributes,
  SqsAttributes,
  unpackAttributes,
} from "./attributes.ts";
import { fromSqsBody, toSqsBody } from "./body.ts";
import { AttemptCounting } from "./counting.ts";
import { readReceived } from "./message.ts";

const standard = new AttemptCounting(false);

const publishedAt = new Date("2026-01-02T03:04:05.000Z");

describe("message attributes", () => {
  it("never exceed 10, however many headers a message has, and round-trip", () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 30; i++) headers[`x-h${i}`] = `v${i}`;
    Object.assign(headers, {
      [Headers.traceparent]: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      [Headers.attempt]: "2",
      [Headers.deadLetterReason]: "permanent_error: no",
      [Headers.deadLetteredAt]: publishedAt.toISOString(),
      [Headers.originalQueue]: "orders",
    });
    const meta = {
      id: "m1",
      name: "order_created",
      publishedAt,
      parentId: "p",
      correlationId: "c",
      replyTo: "r",
      headers,
    };
    const packed = packAttributes(meta, "base64");
    expect(Object.keys(packed).length).toBeLessThanOrEqual(MAX_ATTRIBUTES);
    const { meta: back, bodyEncoding } = unpackAttributes(packed);
    expect(bodyEncoding).toBe("base64");
    expect(back).toEqual(meta);
  });

  it("keeps the id, name and traceparent as attributes of their own, readable by any consumer", () => {
    const packed = packAttributes({ id: "m1", name: "n", headers: { traceparent: "t", other: "o" } });
    expect(packed[SqsAttributes.id]?.StringValue).toBe("m1");
    expect(packed[SqsAttributes.name]?.StringValue).toBe("n");
    expect(packed.traceparent?.StringValue).toBe("t");
    expect(JSON.parse(packed[SqsAttributes.meta]!.StringValue)).toEqual({ headers: { other: "o" } });
  });

  it("reads foreign String and Number attributes as headers, Lambda's lowercase shape too, and ignores broken JSON", () => {
    const sdk = unpackAttributes({
      tenant: { DataType: "String", StringValue: "acme" },
      count: { DataType: "Number", StringValue: "3" },
      [SqsAttributes.meta]: { DataType: "String", StringValue: "{not json" },
    });
    expect(sdk.meta.headers).toEqual({ tenant: "acme", count: "3" });
    const lambda = unpackAttributes({ tenant: { dataType: "String", stringValue: "acme" } });
    expect(lambda.meta.headers).toEqual({ tenant: "acme" });
  });
});

describe("received messages", () => {
  const base = {
    messageId: "sqs-1",
    receiptHandle: "rh",
    body: "{}",
    receiveCount: "2",
    sentTimestamp: "1767323045000",
    groupId: undefined,
  };

  it("attempt is the mailroom-attempt base plus the receive count; the header is not passed on", () => {
    const r = readReceived({
      ...base,
      attributes: { [Headers.attempt]: { DataType: "String", StringValue: "3" } },
    });
    expect(standard.attempt(r)).toBe(5);
    expect(r.meta.headers).toEqual({});
  });

  it("a foreign message gets the SQS MessageId as id and SentTimestamp as publishedAt", () => {
    const r = readReceived({ ...base, attributes: undefined });
    expect(r.meta.id).toBe("sqs-1");
    expect(r.meta.publishedAt?.getTime()).toBe(1767323045000);
    expect(standard.attempt(r)).toBe(2);
  });

  it("a redriven message (dead-letter reason still attached) starts over and loses the dead-letter facts", () => {
    const attrs = packAttributes({
      id: "m",
      headers: { [Headers.attempt]: "5", [Headers.deadLetterReason]: "x", [Headers.originalQueue]: "q" },
    });
    const r = readReceived({ ...base, receiveCount: "1", attributes: attrs });
    expect(standard.attempt(r)).toBe(1);
    expect(r.meta.headers).toEqual({});
    const listed = readReceived({ ...base, attributes: attrs }, { deadLettered: true });
    expect(listed.meta.headers[Headers.deadLetterReason]).toBe("x");
  });
});

describe("re-sent copies keep the producer's own attributes", () => {
  const sig = new Uint8Array([0, 255, 1]);

  it("as they came, with their types, Binary included (SDK and Lambda shapes)", () => {
    const sdk = unpackAttributes({
      tenant: { DataType: "String", StringValue: "acme" },
      priority: { DataType: "Number", StringValue: "5" },
      signature: { DataType: "Binary", BinaryValue: sig },
    });
    const lambda = unpackAttributes({
      tenant: { dataType: "String", stringValue: "acme" },
      priority: { dataType: "Number", stringValue: "5" },
      signature: { dataType: "Binary", binaryValue: Buffer.from(sig).toString("base64") },
    });
    for (const { meta, foreign } of [sdk, lambda]) {
      const packed = packResendAttributes(
        { ...meta, headers: { ...meta.headers, [Headers.deadLetterReason]: "r" } },
        undefined,
        foreign,
      );
      expect(packed.tenant).toEqual({ DataType: "String", StringValue: "acme" });
      expect(packed.priority).toEqual({ DataType: "Number", StringValue: "5" });
      expect([...(packed.signature?.BinaryValue ?? [])]).toEqual([...sig]);
      expect(packed[Headers.deadLetterReason]?.StringValue).toBe("r");
      // Not packed twice: no mailroom-meta is needed for headers that travel as attributes.
      expect(packed[SqsAttributes.meta]).toBeUndefined();
    }
  });

  it("folds what passes the limit of 10 into mailroom-meta, Binary as base64, and loses nothing", () => {
    const attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Uint8Array }> =
      {};
    for (let i = 0; i < 9; i++) attributes[`a${i}`] = { DataType: "String", StringValue: `v${i}` };
    attributes.z = { DataType: "Binary", BinaryValue: sig };
    const { meta, foreign } = unpackAttributes(attributes);
    const packed = packResendAttributes(
      {
        ...meta,
        id: "m",
        name: "n",
        headers: { ...meta.headers, [Headers.deadLetterReason]: "r", [Headers.attempt]: "3" },
      },
      undefined,
      foreign,
    );
    expect(Object.keys(packed).length).toBeLessThanOrEqual(MAX_ATTRIBUTES);
    const back = unpackAttributes(packed).meta.headers;
    for (let i = 0; i < 9; i++) expect(back[`a${i}`]).toBe(`v${i}`);
    expect(back.z).toBe(Buffer.from(sig).toString("base64"));
    expect(back[Headers.deadLetterReason]).toBe("r");
  });
});

describe("bodies", () => {
  it("UTF-8 text travels as is; bytes SQS cannot carry travel as base64 and come back identical", () => {
    const text = new TextEncoder().encode('{"name":"a","data":"é 😀"}');
    expect(toSqsBody(text)).toEqual({ body: '{"name":"a","data":"é 😀"}' });
    const binary = new Uint8Array([0x7b, 0xff, 0x00, 0x01]);
    const sent = toSqsBody(binary);
    expect(sent.encoding).toBe("base64");
    expect([...fromSqsBody(sent.body, sent.encoding)]).toEqual([...binary]);
    const control = new TextEncoder().encode("a\u0001b");
    expect(toSqsBody(control).encoding).toBe("base64");
  });

  it("give a binary-mode CloudEvent's required attributes and content type attributes of their own, within 10", () => {
    const wire = cloudEventsCodec({ mode: "binary", source: "/orders" }).encode({
      id: "e-1",
      name: "com.example.order.created",
      data: { id: "o-1" },
      publishedAt,
      parentId: "p-1",
      headers: {
        [Headers.traceparent]: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "ce-subject": "o-1",
      },
    });
    const packed = packAttributes(wire.meta);
    expect(Object.keys(packed).sort()).toEqual([
      "ce-id",
      "ce-source",
      "ce-specversion",
      "ce-time",
      "ce-type",
      "content-type",
      "mailroom-meta",
      "traceparent",
    ]);
    expect(packed["ce-type"]).toEqual({ DataType: "String", StringValue: "com.example.order.created" });
    const { meta } = unpackAttributes(packed);
    expect(meta.headers).toMatchObject({ ...wire.meta.headers });
  });
});

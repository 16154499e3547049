import { jsonCodec } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { sqsJsonCodec } from "./codec.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("sqsJsonCodec", () => {
  it("decodes exactly as core's jsonCodec, failures and reasons included", () => {
    const corpus = [
      enc('{"name":"a","data":{"x":[1,2,{"y":"é"}]}}'),
      enc('{"name": "a", "data": {'),
      new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      enc('{"data": {"n": 1}}'),
      enc(`{"name":"a","data":${"[".repeat(10_000)}${"]".repeat(10_000)}}`),
      enc(`{"name":"a","data":${"[".repeat(64)}${"]".repeat(64)}}`),
      enc(`{"name":"a","data":${"[".repeat(63)}${"]".repeat(63)}}`),
      enc(`{"name":"a","data":{"s":"${"[".repeat(100)}"}}`),
      enc('{"name":"a","data":{"__proto__":{"p":1}}}'),
      enc(`{"name":"a","data":"${"x".repeat(2048)}"}`),
    ];
    const options = { maxBytes: 1024 };
    const core = jsonCodec(options);
    const ours = sqsJsonCodec(options);
    const meta = { id: "fixed", publishedAt: new Date(0), headers: {} };
    for (const body of corpus) expect(ours.decode(body, meta)).toEqual(core.decode(body, meta));
    const deep = ours.decode(corpus[4]!, meta);
    expect(deep).toEqual({
      failed: true,
      reason: "decode_failed: body is 20020 bytes, over the limit of 1024",
    });
    expect(sqsJsonCodec().decode(corpus[4]!, meta)).toEqual({
      failed: true,
      reason: "decode_failed: JSON nesting is deeper than 64",
    });
  });
});

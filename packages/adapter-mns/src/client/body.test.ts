import { describe, expect, it } from "vitest";
import { decodeBody, encodeBody, storedSize } from "./body.ts";

const bytes = (t: string) => new TextEncoder().encode(t);

describe("message bodies", () => {
  it("base64 round-trips any bytes", () => {
    const b = new Uint8Array([0, 1, 254, 255, 60, 38]);
    const text = encodeBody(b, "base64");
    expect(decodeBody(text, "auto")).toEqual({ bytes: Buffer.from(b), encoding: "base64" });
  });

  it("text bodies are XML-escaped for the SDK, which writes them raw", () => {
    expect(encodeBody(bytes("a<b & c>d"), "text")).toBe("a&lt;b &amp; c&gt;d");
  });

  it("auto reads JSON and other non-base64 text as text", () => {
    for (const t of ['{"name":"x","data":1}', "hello world", "TEST", "abc"]) {
      const d = decodeBody(t, "auto");
      if (t === "TEST") expect(d.encoding).toBe("base64");
      else expect(d).toEqual({ bytes: Buffer.from(t), encoding: "text" });
    }
  });

  it("forced modes win over auto", () => {
    expect(decodeBody("TEST", "text").encoding).toBe("text");
    expect(decodeBody("e30=", "base64").bytes.toString()).toBe("{}");
  });

  it("stored size counts base64's third", () => {
    expect(storedSize(new Uint8Array(3), "base64")).toBe(4);
    expect(storedSize(new Uint8Array(4), "base64")).toBe(8);
    expect(storedSize(new Uint8Array(4), "text")).toBe(4);
  });
});

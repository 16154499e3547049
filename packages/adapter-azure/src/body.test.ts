import { describe, expect, it } from "vitest";
import { AzureMessageTooLargeError, decodeBody, encodeBody } from "./body.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("message bodies", () => {
  it("base64 by default round-trips any bytes; text keeps the UTF-8 text as it is", () => {
    const raw = new Uint8Array([0x7b, 0xff, 0x00, 0x7d]);
    const b64 = encodeBody(raw, "base64");
    expect(b64).toBe(Buffer.from(raw).toString("base64"));
    expect([...decodeBody(b64, "auto").bytes]).toEqual([...raw]);
    expect(encodeBody(bytes('{"name":"a","data":"<é>"}'), "text")).toBe('{"name":"a","data":"<é>"}');
  });

  it("receive in auto mode reads base64 and plain JSON text alike", () => {
    const json = '{"name":"order_created","data":{"id":1}}';
    expect(decodeBody(json, "auto")).toMatchObject({ encoding: "text" });
    expect(new TextDecoder().decode(decodeBody(Buffer.from(json).toString("base64"), "auto").bytes)).toBe(
      json,
    );
    // Not canonical base64 (a padding bit set): read as text, not guessed.
    expect(decodeBody("QUJDRE=x", "auto").encoding).toBe("text");
    expect(decodeBody("abcd", "text").encoding).toBe("text");
  });

  it("a body over 64 KiB as stored is refused before sending, naming the base64 growth", () => {
    const fits = new Uint8Array(48 * 1024);
    expect(encodeBody(fits, "base64")).toHaveLength(65_536);
    const tooBig = new Uint8Array(48 * 1024 + 1);
    expect(() => encodeBody(tooBig, "base64")).toThrow(AzureMessageTooLargeError);
    expect(() => encodeBody(tooBig, "base64")).toThrow(
      /65540 bytes as stored, over the Storage Queue limit of 65536 \(base64 grows a body by a third: about 48 KB of raw body fit\)/,
    );
    // As text the same body fits: 64 KiB of text are allowed.
    expect(encodeBody(bytes("x".repeat(65_536)), "text")).toHaveLength(65_536);
    expect(() => encodeBody(bytes("x".repeat(65_537)), "text")).toThrow(/65537 bytes as stored/);
  });

  it("text refuses bytes that are not UTF-8 and characters XML cannot carry", () => {
    expect(() => encodeBody(new Uint8Array([0xff]), "text")).toThrow(/not UTF-8 cannot be sent as text/);
    expect(() => encodeBody(bytes("a\u0001b"), "text")).toThrow(/XML cannot carry/);
  });
});

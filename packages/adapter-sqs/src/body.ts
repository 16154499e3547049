import { Buffer, isUtf8 } from "node:buffer";

/** Characters SQS accepts in a message body (XML 1.0 characters). */
const INVALID = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * The SQS body for encoded bytes: the text itself when it is UTF-8 that SQS accepts, else base64
 * (with `encoding: "base64"`, carried in the `mailroom-body-encoding` attribute).
 */
export function toSqsBody(bytes: Uint8Array): { body: string; encoding?: "base64" } {
  if (isUtf8(bytes)) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
    if (!INVALID.test(text)) return { body: text };
  }
  return { body: Buffer.from(bytes).toString("base64"), encoding: "base64" };
}

/** A received body as the codec reads it: the text itself, or the bytes of a base64 body. */
export function receivedBody(body: string | undefined, encoding: string | undefined): Uint8Array | string {
  if (body === undefined) return "";
  return encoding === "base64" ? Buffer.from(body, "base64") : body;
}

/** The bytes of a received body. */
export function fromSqsBody(body: string | undefined, encoding: string | undefined): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return encoding === "base64" ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
}

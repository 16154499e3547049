import { decodeTextBody } from "@mailroom/core/push";
/** How message bodies are written: `base64` (the default, safe for any bytes) or `text` (UTF-8, XML-escaped). */
export type BodyEncoding = "base64" | "text";

/** How received bodies are read: `auto` (base64 when the body is canonical base64, else text), `base64` or `text`. */
export type ReceiveEncoding = "auto" | "base64" | "text";

/**
 * The text to put in `<MessageBody>`. The SDK writes it into the XML as is, so `text` bodies
 * are XML-escaped here; `base64` needs no escaping.
 */
export function encodeBody(body: Uint8Array, encoding: BodyEncoding): string {
  if (encoding === "base64")
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64");
  return escapeText(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
}

/** Size of the body MNS will store (the unescaped text), which its 64 KB limit applies to. */
export function storedSize(body: Uint8Array, encoding: BodyEncoding): number {
  return encoding === "base64" ? Math.ceil(body.byteLength / 3) * 4 : body.byteLength;
}

/**
 * Bytes of a received message text. In `auto` mode a text is base64 when it is non-empty
 * canonical base64 (so `{"name":…}` from another producer stays text), else UTF-8 (core's rule).
 */
export function decodeBody(
  text: string,
  encoding: ReceiveEncoding,
): { bytes: Uint8Array; encoding: BodyEncoding } {
  return decodeTextBody(text, encoding);
}

/** Escape `&`, `<` and `>` for XML element content. */
export function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

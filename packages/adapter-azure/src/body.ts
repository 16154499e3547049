import { isUtf8 } from "node:buffer";
import { ConfigError, MailroomError } from "@mailroom/core";
import { decodeTextBody } from "@mailroom/core/transport";
import { MAX_MESSAGE_BYTES } from "./limits.ts";

/**
 * How message bodies are written. `base64` (the default) is what the Azure Functions host reads
 * by default (host.json `extensions.queues.messageEncoding`), and carries any bytes; `text` writes
 * the UTF-8 text as it is (the SDK XML-escapes it), for consumers that read plain text.
 */
export type BodyEncoding = "base64" | "text";

/** How received bodies are read: `auto` (base64 when the text is canonical base64, else text), `base64` or `text`. */
export type ReceiveEncoding = "auto" | "base64" | "text";

/** A body over the 64 KiB Storage Queues store, refused before anything was sent. */
export class AzureMessageTooLargeError extends MailroomError {
  /** Size of the message text, bytes (after base64 when base64-encoded). */
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number, encoding: BodyEncoding) {
    const raw =
      encoding === "base64"
        ? ` (base64 grows a body by a third: about ${Math.floor((limit * 3) / 4 / 1024)} KB of raw body fit)`
        : "";
    super(
      "message_too_large",
      `the message is ${size} bytes as stored, over the Storage Queue limit of ${limit}${raw}: make the data smaller, keep large data in Blob Storage and send its URL, or send with ?encoding=text`,
    );
    this.size = size;
    this.limit = limit;
  }
}

// Characters XML 1.0 cannot carry, even escaped: a text body holding one cannot be sent as text.
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * The message text for `body`, checked against the 64 KiB limit (`maxBytes`). Throws an
 * `AzureMessageTooLargeError` when it is too large, and a `ConfigError` when `text` is asked for a
 * body that is not UTF-8 or holds characters XML cannot carry.
 */
export function encodeBody(body: Uint8Array, encoding: BodyEncoding, maxBytes = MAX_MESSAGE_BYTES): string {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (encoding === "base64") {
    const size = Math.ceil(bytes.byteLength / 3) * 4;
    if (size > maxBytes) throw new AzureMessageTooLargeError(size, maxBytes, encoding);
    return bytes.toString("base64");
  }
  if (!isUtf8(bytes)) {
    throw new ConfigError("a body that is not UTF-8 cannot be sent as text: send it with ?encoding=base64");
  }
  const text = bytes.toString("utf8");
  if (NOT_XML.test(text)) {
    throw new ConfigError(
      "the body holds a character XML cannot carry (a control character, U+FFFE or U+FFFF), so it cannot be sent as text: send it with ?encoding=base64",
    );
  }
  if (bytes.byteLength > maxBytes) throw new AzureMessageTooLargeError(bytes.byteLength, maxBytes, encoding);
  return text;
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

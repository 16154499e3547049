import type { DecodeFailure, Envelope, MessageMeta, TransportInfo } from "../envelope.ts";
import type { StandardSchemaV1 } from "../schema.ts";
import { readWireFormat } from "./wire-format.ts";

/** A message ready for a transport: bytes plus the metadata the transport carries beside them. */
export interface WireMessage {
  body: Uint8Array;
  /** Always has `id`, `name` and `publishedAt` after encoding. */
  meta: MessageMeta;
  /** MIME type of the body. */
  contentType: string;
}

/** What a codec needs to encode: a message with its id and time already decided. */
export interface EncodeInput {
  id: string;
  name: string;
  data: unknown;
  publishedAt: Date;
  parentId?: string | undefined;
  correlationId?: string | undefined;
  replyTo?: string | undefined;
  headers: Record<string, string>;
}

/** A decoded body, before the transport adds the attempt and its own info. */
export interface Decoded {
  id: string;
  name: string;
  data: unknown;
  publishedAt: Date;
  parentId?: string | undefined;
  correlationId?: string | undefined;
  replyTo?: string | undefined;
  headers: Record<string, string>;
}

/**
 * Turns envelopes into bytes and back. `decode` never throws: a body it cannot read is a
 * `{ failed: true, reason }`, which runtimes dead-letter as a poison message.
 */
export interface Codec {
  readonly name: string;
  encode(input: EncodeInput): WireMessage;
  /** `meta` holds what the transport carried beside the body; missing id / time come from the transport. */
  decode(body: Uint8Array, meta: MessageMeta): Decoded | { failed: true; reason: string };
  /**
   * Optional: decode a body the transport already holds as text (SQS, MNS and Lambda events carry
   * bodies as strings), with the same limits and reasons as `decode` of its UTF-8 bytes. Saves
   * the round trip through bytes; without it, `decodeEnvelope` encodes the text and calls `decode`.
   */
  decodeText?(text: string, meta: MessageMeta): Decoded | { failed: true; reason: string };
  /**
   * Optional: the form of this codec that writes every piece of metadata into the body, which
   * transports without message attributes (MNS, Azure Storage Queues) publish with — a binary-mode
   * CloudEvents codec answers its structured form. Without it they use the codec as it is.
   */
  selfContained?(): Codec;
  /**
   * Optional: a handler schema of this codec's format that is not a Standard Schema (a protobuf
   * message type) as one, reading a decoded message's data into it; undefined for schemas it
   * does not know. `createApp({ codec })` and the handler option `codec` offer it every such schema.
   */
  adaptSchema?(schema: unknown): StandardSchemaV1 | undefined;
}

/** Context a transport adds to a decoded body. */
export interface DeliveryInfo {
  attempt: number;
  transport: TransportInfo;
}

const textEncoder = new TextEncoder();

/**
 * Decode a received body into an `Envelope` or a `DecodeFailure`. The one function every
 * transport calls, so poison handling is the same everywhere. `body` may be text when the
 * transport holds it so (the codec's `decodeText` reads it without a copy to bytes).
 *
 * CloudEvents (binary mode by their attributes, structured mode by content type or body) and
 * protobuf bodies (by content type) are read here whatever the transport's codec, so one queue
 * takes every format its producers send; the codec reads everything else.
 */
export function decodeEnvelope(
  codec: Codec,
  body: Uint8Array | string,
  meta: MessageMeta,
  info: DeliveryInfo,
): Envelope | DecodeFailure {
  let decoded: Decoded | { failed: true; reason: string } | undefined = readWireFormat(body, meta);
  if (decoded === undefined) {
    if (typeof body !== "string") decoded = codec.decode(body, meta);
    else if (codec.decodeText) decoded = codec.decodeText(body, meta);
    else {
      body = textEncoder.encode(body);
      decoded = codec.decode(body, meta);
    }
  }
  if ("failed" in decoded) {
    return {
      failed: true,
      reason: decoded.reason,
      meta,
      // A DecodeFailure keeps the bytes (a text body is encoded only now, on this rare path).
      body: typeof body === "string" ? textEncoder.encode(body) : body,
      attempt: info.attempt,
      transport: info.transport,
    };
  }
  return {
    id: decoded.id,
    name: decoded.name,
    data: decoded.data,
    publishedAt: decoded.publishedAt,
    attempt: info.attempt,
    parentId: decoded.parentId,
    correlationId: decoded.correlationId,
    replyTo: decoded.replyTo,
    headers: decoded.headers,
    transport: info.transport,
  };
}

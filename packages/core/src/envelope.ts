import type { Codec } from "./codec/codec.ts";

/**
 * The one message shape every transport decodes into. Handlers see `data`; runtimes and
 * middleware see the rest.
 */

/** Header names Mailroom reads and writes. Transports carry them as attributes / headers / body metadata. */
export const Headers = {
  /** W3C trace context of the producer. */
  traceparent: "traceparent",
  tracestate: "tracestate",
  /** ISO time before which the handler must not run; early receipts are re-delayed, not counted. */
  notBefore: "not-before",
  /** Handler runs so far, for transports without a usable receive count (or after a re-publish). */
  attempt: "mailroom-attempt",
  /** Why the message was dead-lettered (`unknown_message_name: foo`, `max_attempts_exceeded: …`). */
  deadLetterReason: "mailroom-dead-letter-reason",
  /** When it was dead-lettered (ISO time). */
  deadLetteredAt: "mailroom-dead-lettered-at",
  /** The queue it was dead-lettered from, used by redrive. */
  originalQueue: "mailroom-original-queue",
  /** FIFO message group, where the transport has groups. */
  groupId: "mailroom-group-id",
} as const;

/** Message names: lowercase letters, digits and underscores, starting with a letter (`order_created`). */
export const MESSAGE_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Names as other producers send them: a letter, then letters of either case, digits, and
 * `_ . - : /` (`OrderCreated`, `order.created`, `orders/created-v2`). For `createApp({ names: { pattern } })`.
 */
export const RELAXED_MESSAGE_NAME = /^[A-Za-z][A-Za-z0-9_.:/-]*$/;

/** Where a delivery came from: the provider's own message is in `raw`, for escape hatches. */
export interface TransportInfo {
  /** Transport kind: `memory`, `sqlite`, `sqs`, `mns`, `amqp`, `azure`, … */
  readonly kind: string;
  /** Queue (or subscription) the message was received from. */
  readonly queue: string;
  /** The provider's message object, untouched. */
  readonly raw: unknown;
  /** FIFO group, where the transport has groups. */
  readonly groupId?: string | undefined;
  /**
   * The broker's receive count of this copy, set only where it cannot tell runs (FIFO queues:
   * see `attemptOf`); the receive limit (`RetryPolicy.maxReceives`) is judged on it.
   */
  readonly receiveCount?: number | undefined;
  /**
   * Longest a `not-before` re-delay can hold this message in place on its transport, ms (SQS FIFO:
   * the 12-hour visibility ceiling). With `receiveCount`, the receives a schedule needed are not
   * held against the receive limit.
   */
  readonly deferHopMs?: number | undefined;
}

/** A decoded message. */
export interface Envelope<T = unknown> {
  /** Unique message id: uuid v7 when Mailroom published it, else the transport's id. */
  readonly id: string;
  /** Message name; selects the handler. */
  readonly name: string;
  /** The payload (validated by the handler's schema before the handler sees it). */
  readonly data: T;
  /** When the message was first published. */
  readonly publishedAt: Date;
  /** 1 on first delivery; counts handler runs, never re-delays. */
  readonly attempt: number;
  readonly parentId?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly replyTo?: string | undefined;
  /** String headers: `traceparent`, `not-before`, dead-letter reasons, user headers. */
  readonly headers: Readonly<Record<string, string>>;
  readonly transport: TransportInfo;
}

/** The metadata of a message apart from its body, as transports carry it. */
export interface MessageMeta {
  id?: string | undefined;
  name?: string | undefined;
  publishedAt?: Date | undefined;
  parentId?: string | undefined;
  correlationId?: string | undefined;
  replyTo?: string | undefined;
  headers: Record<string, string>;
}

/** A body that could not become an envelope. Runtimes dead-letter it on first delivery with `reason`. */
export interface DecodeFailure {
  readonly failed: true;
  /** Machine-readable reason, e.g. `decode_failed: body is not valid UTF-8`. */
  readonly reason: string;
  /** Whatever metadata could be read (id, headers) for logs and the dead-letter record. */
  readonly meta: MessageMeta;
  readonly body: Uint8Array;
  readonly attempt: number;
  readonly transport: TransportInfo;
}

/** True when a delivery's envelope could not be decoded. */
export function isDecodeFailure(value: Envelope | DecodeFailure): value is DecodeFailure {
  return (value as DecodeFailure).failed === true;
}

/** A message to publish. Only `name` and `data` are required; the rest is filled in. */
export interface Outgoing<T = unknown> {
  name: string;
  data: T;
  /** Defaults to a new uuid v7. */
  id?: string;
  parentId?: string;
  correlationId?: string;
  replyTo?: string;
  headers?: Record<string, string>;
  /** Destination override (queue / exchange:routingKey / reply address), transport-specific. */
  to?: string;
  /** FIFO group (SQS MessageGroupId, …). */
  groupId?: string;
  /** Deduplication id (SQS FIFO MessageDeduplicationId, …). Defaults to `id`. */
  dedupId?: string;
  /** Priority where the transport has one (AMQP, MNS). */
  priority?: number;
  /**
   * Drop the message if it is not consumed within this many ms, where the transport has
   * per-message expiry (AMQP `expiration`); ignored elsewhere. Keep it longer than any delay or
   * retry the message may wait through.
   */
  expiresInMs?: number;
  /** Set on RPC replies: transports send the bare reply to `to` with `correlationId`. */
  reply?: boolean;
  /**
   * Write this message with this codec instead of the transport's (a CloudEvent, protobuf, …).
   * `ctx.publish` sets it from the app's choice for the name (`createApp({ codec })`, the handler
   * option `codec`); receivers read every Mailroom format whatever their own codec.
   */
  codec?: Codec;
}

/** Options for one publish call. */
export interface PublishOptions {
  /** Deliver no earlier than this many ms from now. */
  delayMs?: number;
  /** Deliver no earlier than this time. Wins over `delayMs`. */
  at?: Date;
}

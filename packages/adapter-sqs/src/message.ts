import { Headers, type MessageMeta, redriveHeaders, runsCarried } from "@mailroom/core/push";
import { type SqsAttributeValue, unpackAttributes } from "./attributes.ts";

/** A received SQS message, read once, in the shape both the long-poller and Lambda produce. */
export interface Received {
  readonly messageId: string;
  readonly receiptHandle: string;
  /** The body exactly as SQS returned it (base64 when `bodyEncoding` says so). */
  readonly body: string;
  readonly bodyEncoding: string | undefined;
  /** Metadata from the attributes: `mailroom-attempt` taken out, `id` and `publishedAt` filled in. */
  readonly meta: MessageMeta;
  /** Attributes Mailroom did not write, as they came (Binary included), for re-sent copies. */
  readonly foreign: Readonly<Record<string, SqsAttributeValue>> | undefined;
  readonly groupId: string | undefined;
  /** Handler runs recorded on this copy by the re-send that made it (`mailroom-attempt`); 0 when none. */
  readonly runsBefore: number;
  readonly receiveCount: number;
  /** When this receive happened (ms), for the 12-hour visibility ceiling. */
  readonly receivedAt: number;
}

/**
 * Read a message's attributes. A message that carries a dead-letter reason on a working queue was
 * redriven (e.g. by StartMessageMoveTask): it starts over at attempt 1 and loses the reason.
 * `deadLettered` reads a dead-letter queue's message, keeping those facts.
 */
export function readReceived(
  input: {
    messageId: string;
    receiptHandle: string;
    body: string | undefined;
    attributes: Parameters<typeof unpackAttributes>[0];
    receiveCount: string | undefined;
    sentTimestamp: string | undefined;
    groupId: string | undefined;
  },
  options?: { deadLettered?: boolean },
): Received {
  return received(
    input.messageId,
    input.receiptHandle,
    input.body,
    input.attributes,
    input.receiveCount,
    input.sentTimestamp,
    input.groupId,
    Date.now(),
    options?.deadLettered === true,
  );
}

/**
 * `readReceived` with its fields as arguments, for the per-record path of a pushed batch (no
 * input object per record; one `receivedAt` for the whole event).
 */
export function received(
  messageId: string,
  receiptHandle: string,
  body: string | undefined,
  attributes: Parameters<typeof unpackAttributes>[0],
  receiveCount: string | undefined,
  sentTimestamp: string | undefined,
  groupId: string | undefined,
  receivedAt: number,
  deadLettered: boolean,
): Received {
  let meta: MessageMeta;
  let bodyEncoding: string | undefined;
  let foreign: Record<string, SqsAttributeValue> | undefined;
  let runsBefore = 0;
  if (hasAny(attributes)) {
    ({ meta, bodyEncoding, foreign } = unpackAttributes(attributes));
    if (!deadLettered) {
      if (meta.headers[Headers.deadLetterReason] !== undefined) {
        // Redriven: it starts over, without the dead-letter facts or their run count.
        meta.headers = redriveHeaders(meta.headers);
      } else if (meta.headers[Headers.attempt] !== undefined) {
        runsBefore = runsCarried(meta.headers);
        // A count, not a header of the message: it is written again on every copy.
        delete meta.headers[Headers.attempt];
      }
    }
    meta.id ??= messageId;
  } else {
    // No attributes (a foreign producer, the common case on Lambda): the same shape, directly.
    meta = {
      id: messageId,
      name: undefined,
      publishedAt: undefined,
      parentId: undefined,
      correlationId: undefined,
      replyTo: undefined,
      headers: {},
    };
  }
  if (!meta.publishedAt && sentTimestamp) {
    // SQS always sends a number; a hand-made event may not, and an Invalid Date breaks every copy.
    const sent = new Date(Number(sentTimestamp));
    if (!Number.isNaN(sent.getTime())) meta.publishedAt = sent;
  }
  const count = Number(receiveCount);
  return {
    messageId,
    receiptHandle,
    body: body ?? "",
    bodyEncoding,
    meta,
    foreign,
    groupId,
    runsBefore,
    receiveCount: Number.isInteger(count) && count > 0 ? count : 1,
    receivedAt,
  };
}

function hasAny(attributes: object | undefined): boolean {
  // Object.keys, not for-in: for-in also walks the prototype chain, and costs more on `{}`.
  return attributes !== undefined && attributes !== null && Object.keys(attributes).length > 0;
}

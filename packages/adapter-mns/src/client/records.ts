/** The shapes the client takes and gives, and their mapping to and from the SDK's records. */
import { type BodyEncoding, decodeBody, type ReceiveEncoding } from "./body.ts";
import type { SdkRecord } from "./sdk.ts";

/** Queue settings for create / set (seconds, bytes). Omitted ones keep MNS's defaults. */
export interface QueueSettings {
  visibilityTimeoutSeconds?: number;
  delaySeconds?: number;
  maximumMessageSize?: number;
  messageRetentionPeriodSeconds?: number;
  pollingWaitSeconds?: number;
  /** MNS's own dead-lettering after `maxReceiveCount` receives. */
  dlqPolicy?: { deadLetterTargetQueue: string; maxReceiveCount: number; enabled?: boolean };
}

/** GetQueueAttributes, as numbers. */
export interface QueueInfo {
  name: string;
  visibilityTimeoutSeconds: number;
  delaySeconds: number;
  maximumMessageSize: number;
  activeMessages: number;
  inactiveMessages: number;
  delayMessages: number;
}

/** A message to send. */
export interface SendEntry {
  body: Uint8Array;
  /** 0–604,800. */
  delaySeconds?: number;
  /** 1 (first) to 16; MNS's default is 8. */
  priority?: number;
  /** Override the client's body encoding for this message (`text` for a body known to be JSON text). */
  encoding?: BodyEncoding;
}

/** A received message, body decoded. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: Uint8Array;
  /** How the body was read (base64 from Mailroom-like producers, text from others). */
  bodyEncoding: BodyEncoding;
  /** The body exactly as MNS stored it. */
  rawBody: string;
  dequeueCount: number;
  enqueueTime: number;
  firstDequeueTime: number;
  nextVisibleTime: number;
  priority: number;
}

/** Requests sent so far, in total and by operation. */
export interface RequestCounts {
  total: number;
  byOperation: Record<string, number>;
}

/** A received message record from the SDK, body decoded. */
export function toReceived(m: SdkRecord, receiveEncoding: ReceiveEncoding): ReceivedMessage {
  const raw = typeof m.MessageBody === "string" ? m.MessageBody : "";
  const { bytes, encoding } = decodeBody(raw, receiveEncoding);
  return {
    messageId: String(m.MessageId),
    receiptHandle: String(m.ReceiptHandle ?? ""),
    body: bytes,
    bodyEncoding: encoding,
    rawBody: raw,
    dequeueCount: Number(m.DequeueCount ?? 1),
    enqueueTime: Number(m.EnqueueTime ?? 0),
    firstDequeueTime: Number(m.FirstDequeueTime ?? 0),
    nextVisibleTime: Number(m.NextVisibleTime ?? 0),
    priority: Number(m.Priority ?? 8),
  };
}

/** Queue settings as the SDK's XML fields. */
export function queueParams(s: QueueSettings): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  if (s.delaySeconds !== undefined) p.DelaySeconds = s.delaySeconds;
  if (s.maximumMessageSize !== undefined) p.MaximumMessageSize = s.maximumMessageSize;
  if (s.messageRetentionPeriodSeconds !== undefined)
    p.MessageRetentionPeriod = s.messageRetentionPeriodSeconds;
  if (s.visibilityTimeoutSeconds !== undefined) p.VisibilityTimeout = s.visibilityTimeoutSeconds;
  if (s.pollingWaitSeconds !== undefined) p.PollingWaitSeconds = s.pollingWaitSeconds;
  if (s.dlqPolicy) {
    p.DlqPolicy = {
      Enabled: s.dlqPolicy.enabled ?? true,
      DeadLetterTargetQueue: s.dlqPolicy.deadLetterTargetQueue,
      MaxReceiveCount: s.dlqPolicy.maxReceiveCount,
    };
  }
  return p;
}

/** The SDK returns one record, an array, `undefined` or `""` depending on how many elements came back. */
export function asArray(value: unknown): SdkRecord[] {
  if (Array.isArray(value)) return value.filter((v): v is SdkRecord => typeof v === "object" && v !== null);
  if (typeof value === "object" && value !== null) return [value as SdkRecord];
  return [];
}

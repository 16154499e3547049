import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { type Codec, describeError, type QueueDepth, type Source, TransportError } from "@mailroom/core";
import { decodeEnvelope } from "@mailroom/core/transport";
import { receivedBody } from "./body.ts";
import { SqsDelivery } from "./delivery.ts";
import { attemptOf, type Received, readReceived } from "./message.ts";
import type { SqsQueue } from "./queue.ts";

/** The only system attributes Mailroom asks for. */
export const SYSTEM_ATTRIBUTES = ["ApproximateReceiveCount", "SentTimestamp", "MessageGroupId"] as const;

/** Options of an `SqsSource`. */
export interface SqsSourceOptions {
  codec: Codec;
  /** Long-poll seconds, 0–20. Default 20. */
  waitTimeSeconds?: number | undefined;
  /** VisibilityTimeout asked on each receive, ms (whole seconds). Default: the queue's own. */
  visibilityTimeoutMs?: number | undefined;
  /** The queue's VisibilityTimeout, ms, when known (heartbeats run at half of it). */
  queueVisibilityTimeoutMs?: number | undefined;
}

/**
 * Long-polls one SQS queue. Safe for many concurrent `receive` calls (the Worker runs several
 * receive loops); an aborted signal aborts the pending HTTP long poll and resolves with `[]`.
 */
export class SqsSource implements Source {
  readonly visibilityTimeoutMs: number | undefined;
  readonly #queue: SqsQueue;
  readonly #client: SQSClient;
  readonly #codec: Codec;
  readonly #wait: number;
  readonly #visibilitySeconds: number | undefined;

  constructor(queue: SqsQueue, options: SqsSourceOptions) {
    this.#queue = queue;
    this.#client = queue.client;
    this.#codec = options.codec;
    this.#wait = options.waitTimeSeconds ?? 20;
    this.#visibilitySeconds =
      options.visibilityTimeoutMs === undefined ? undefined : Math.ceil(options.visibilityTimeoutMs / 1000);
    this.visibilityTimeoutMs =
      this.#visibilitySeconds !== undefined
        ? this.#visibilitySeconds * 1000
        : options.queueVisibilityTimeoutMs;
  }

  async receive(max: number, signal: AbortSignal): Promise<SqsDelivery[]> {
    if (signal.aborted) return [];
    let messages: Message[] | undefined;
    try {
      const out = await this.#client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#queue.url,
          MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
          WaitTimeSeconds: this.#wait,
          VisibilityTimeout: this.#visibilitySeconds,
          MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
          MessageAttributeNames: ["All"],
        }),
        { abortSignal: signal },
      );
      messages = out.Messages;
    } catch (error) {
      if (signal.aborted) return [];
      throw new TransportError(
        `receive from SQS queue "${this.#queue.name}" failed: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
    if (!messages || messages.length === 0) return [];
    return messages.map((m) => this.#toDelivery(m));
  }

  #toDelivery(m: Message): SqsDelivery {
    const a = m.Attributes;
    const received: Received = readReceived({
      messageId: m.MessageId ?? "",
      receiptHandle: m.ReceiptHandle ?? "",
      body: m.Body,
      attributes: m.MessageAttributes,
      receiveCount: a?.ApproximateReceiveCount,
      sentTimestamp: a?.SentTimestamp,
      groupId: a?.MessageGroupId,
    });
    const envelope = decodeEnvelope(this.#codec, receivedBody(m.Body, received.bodyEncoding), received.meta, {
      attempt: attemptOf(received),
      transport: { kind: "sqs", queue: this.#queue.name, raw: m, groupId: received.groupId },
    });
    return new SqsDelivery(this.#queue, received, envelope);
  }

  /** ApproximateNumberOfMessages / …Delayed / …NotVisible of the queue. */
  async depth(): Promise<QueueDepth> {
    return queueDepth(this.#client, this.#queue.url);
  }

  /** Sends the acks and visibility changes still waiting to be coalesced. */
  async close(): Promise<void> {
    await this.#queue.drain();
  }
}

/** The queue's approximate counts. */
export async function queueDepth(client: SQSClient, url: string): Promise<QueueDepth> {
  const out = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesDelayed",
        "ApproximateNumberOfMessagesNotVisible",
      ],
    }),
  );
  const n = (k: string) => Number(out.Attributes?.[k as keyof typeof out.Attributes] ?? 0) || 0;
  return {
    ready: n("ApproximateNumberOfMessages"),
    delayed: n("ApproximateNumberOfMessagesDelayed"),
    inFlight: n("ApproximateNumberOfMessagesNotVisible"),
  };
}

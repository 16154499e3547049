import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import {
  type BackgroundErrorListener,
  type Codec,
  describeError,
  type QueueDepth,
  type Source,
  TransportError,
} from "@mailroom/core";
import { checkQueue } from "./connect.ts";
import { type DeliveryScope, type SqsDelivery, toDelivery } from "./delivery.ts";
import { readReceived } from "./message.ts";
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
  readonly #scope: DeliveryScope;
  readonly #wait: number;
  readonly #visibilitySeconds: number | undefined;

  constructor(queue: SqsQueue, options: SqsSourceOptions) {
    this.#queue = queue;
    this.#client = queue.client;
    this.#scope = {
      queueName: queue.name,
      codec: options.codec,
      counting: queue.counting,
      mode: "pull",
      queue: () => queue,
      onBackgroundError: undefined,
    };
    this.#wait = options.waitTimeSeconds ?? 20;
    this.#visibilitySeconds =
      options.visibilityTimeoutMs === undefined ? undefined : Math.ceil(options.visibilityTimeoutMs / 1000);
    this.visibilityTimeoutMs =
      this.#visibilitySeconds !== undefined
        ? this.#visibilitySeconds * 1000
        : options.queueVisibilityTimeoutMs;
  }

  /**
   * Before the first receive: the queue answers and a dead-letter queue is known and exists.
   * Rejects with a `ConfigError` (no dead-letter queue, missing queue, credentials refused) or a
   * `TransportError` (endpoint unreachable), before any message is taken.
   */
  connect(signal: AbortSignal): Promise<void> {
    return checkQueue(this.#queue, signal);
  }

  /** The one listener for acks whose delete failed after `ack()` resolved (queued mode), with their envelope. */
  onBackgroundError(listener: BackgroundErrorListener): void {
    this.#scope.onBackgroundError = listener;
  }

  /**
   * One long poll of up to `wait` seconds. A poll that comes back empty before its wait is over
   * (emulators such as fauxqs answer so when another poller took the message that woke it; SQS
   * itself does not) is made again for the time left, so a receive waits as long as it says.
   */
  async receive(max: number, signal: AbortSignal): Promise<SqsDelivery[]> {
    const deadline = Date.now() + this.#wait * 1000;
    let wait = this.#wait;
    for (;;) {
      if (signal.aborted) return [];
      const messages = await this.#poll(max, wait, signal);
      if (messages.length > 0) return messages.map((m) => this.#toDelivery(m));
      wait = Math.floor((deadline - Date.now()) / 1000);
      if (wait < 1) return [];
    }
  }

  async #poll(max: number, wait: number, signal: AbortSignal): Promise<Message[]> {
    try {
      const out = await this.#client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#queue.url,
          MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
          WaitTimeSeconds: wait,
          VisibilityTimeout: this.#visibilitySeconds,
          MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
          MessageAttributeNames: ["All"],
        }),
        { abortSignal: signal },
      );
      return out.Messages ?? [];
    } catch (error) {
      if (signal.aborted) return [];
      throw new TransportError(
        `receive from SQS queue "${this.#queue.name}" failed: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  #toDelivery(m: Message): SqsDelivery {
    const a = m.Attributes;
    const received = readReceived({
      messageId: m.MessageId ?? "",
      receiptHandle: m.ReceiptHandle ?? "",
      body: m.Body,
      attributes: m.MessageAttributes,
      receiveCount: a?.ApproximateReceiveCount,
      sentTimestamp: a?.SentTimestamp,
      groupId: a?.MessageGroupId,
    });
    return toDelivery(this.#scope, received, m);
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

import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { type MessageMeta, TransportError } from "@mailroom/core";
import { Coalescer, deadLetterHeaders } from "@mailroom/core/transport";
import { packResendAttributes } from "./attributes.ts";
import { AttemptCounting } from "./counting.ts";
import { isMissingQueue, missingDeadLetterQueue, NoDeadLetterQueueError } from "./errors.ts";
import type { Received } from "./message.ts";
import { queueNameOf } from "./url.ts";

export { MAX_SEND_DELAY_MS, MAX_VISIBILITY_MS } from "./limits.ts";

/** A queue's address and kind. */
export interface QueueRef {
  readonly url: string;
  readonly name: string;
  readonly fifo: boolean;
}

/** Options of an `SqsQueue`. */
export interface SqsQueueOptions {
  /** How long acks / visibility changes wait to be coalesced, ms. Default 5. */
  flushMs?: number | undefined;
  /** Dead-letter queue name or URL; default: the RedrivePolicy's target. */
  deadLetterQueue?: string | undefined;
  /**
   * `queued` (default): `ack()` resolves once the delete is queued for the next DeleteMessageBatch;
   * a failed delete goes to `onBackgroundError` and the message returns after its visibility
   * timeout. `confirmed`: `ack()` resolves when SQS has answered.
   */
  ack?: "queued" | "confirmed" | undefined;
  /** Told about every delete that failed after `ack()` resolved (queued mode), besides the ack's own listener. */
  onBackgroundError?: ((error: unknown) => void) | undefined;
}

/**
 * One SQS queue and the operations deliveries need: coalesced deletes and visibility changes,
 * re-sends (defer, long retries) and sends to the dead-letter queue (resolved once, lazily).
 */
export class SqsQueue implements QueueRef {
  readonly client: SQSClient;
  readonly url: string;
  readonly name: string;
  readonly fifo: boolean;
  readonly #deadLetterOption: string | undefined;
  #deadLetter: Promise<QueueRef> | undefined;
  readonly deletes: Coalescer<string>;
  readonly ackMode: "queued" | "confirmed";
  /** Deletes that failed after their `ack()` had resolved. */
  backgroundErrors = 0;
  readonly #onBackgroundError: ((error: unknown) => void) | undefined;
  readonly visibility: Coalescer<{ handle: string; seconds: number }>;
  /** How `attempt` is counted here (FIFO: with this process's run ledger, shared by every source). */
  readonly counting: AttemptCounting;

  constructor(client: SQSClient, url: string, options: SqsQueueOptions = {}) {
    this.client = client;
    this.url = url;
    this.name = queueNameOf(url);
    this.fifo = this.name.endsWith(".fifo");
    this.counting = new AttemptCounting(this.fifo);
    this.#deadLetterOption = options.deadLetterQueue;
    const flushMs = options.flushMs ?? 5;
    this.ackMode = options.ack ?? "queued";
    this.#onBackgroundError = options.onBackgroundError;
    this.deletes = new Coalescer((handles) => this.#deleteBatch(handles), { flushMs });
    this.visibility = new Coalescer((entries) => this.#visibilityBatch(entries), { flushMs });
  }

  /** The dead-letter queue: the `deadLetterQueue` option, else the RedrivePolicy target. */
  deadLetterQueue(): Promise<QueueRef> {
    this.#deadLetter ??= this.#resolveDeadLetter().catch((error) => {
      this.#deadLetter = undefined;
      throw error;
    });
    return this.#deadLetter;
  }

  /** Set a dead-letter queue already known (e.g. from the RedrivePolicy read at open). */
  knownDeadLetterQueue(ref: QueueRef): void {
    this.#deadLetter = Promise.resolve(ref);
  }

  /** Make the message visible again `seconds` from now (coalesced into ChangeMessageVisibilityBatch). */
  changeVisibility(r: Received, seconds: number): Promise<void> {
    return this.visibility.add({ handle: r.receiptHandle, seconds });
  }

  /** Delete the message (coalesced into DeleteMessageBatch); resolves when SQS has answered. */
  delete(r: Received): Promise<void> {
    return this.deletes.add(r.receiptHandle);
  }

  /**
   * Delete for an ack. `confirmed` mode: resolves when SQS answered. `queued` mode: resolves at
   * once; a delete that fails later is counted in `backgroundErrors` and told to `onLate` and to
   * the queue's `onBackgroundError` (the message comes back after its visibility timeout).
   */
  ack(r: Received, onLate?: (error: unknown) => void): Promise<void> {
    const done = this.deletes.add(r.receiptHandle);
    if (this.ackMode === "confirmed") return done;
    done.catch((error: unknown) => {
      this.backgroundErrors++;
      onLate?.(error);
      this.#onBackgroundError?.(error);
    });
    return Promise.resolve();
  }

  /**
   * Send a copy of the received message (same body, the producer's own attributes kept with their
   * types) to `to`, with `headers` as the copy's whole header set, delayed by `delayMs` (≤ 15 min;
   * ignored on FIFO queues, which have no per-message delay).
   */
  async resend(r: Received, to: QueueRef, headers: Record<string, string>, delayMs = 0): Promise<void> {
    const meta: MessageMeta = { ...r.meta, headers };
    const encoding = r.bodyEncoding === "base64" ? "base64" : undefined;
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: to.url,
        MessageBody: r.body,
        MessageAttributes: packResendAttributes(meta, encoding, r.foreign),
        DelaySeconds: to.fifo || delayMs <= 0 ? undefined : Math.min(900, Math.ceil(delayMs / 1000)),
        MessageGroupId: to.fifo ? (r.groupId ?? "default") : undefined,
        MessageDeduplicationId: to.fifo ? `${r.messageId}-${r.receiveCount}` : undefined,
      }),
    );
  }

  /** Send a copy to the dead-letter queue with core's dead-letter headers (reason, runs, this queue). */
  async deadLetter(r: Received, reason: string, attempts: number): Promise<void> {
    const dlq = await this.deadLetterQueue();
    await this.resend(r, dlq, deadLetterHeaders(r.meta.headers, { reason, attempts, queue: this.name }));
  }

  /** Flush coalesced operations and wait for them. */
  async drain(): Promise<void> {
    await Promise.all([this.deletes.drain(), this.visibility.drain()]);
  }

  async #resolveDeadLetter(): Promise<QueueRef> {
    const option = this.#deadLetterOption;
    if (option) return this.lookup(option).catch((error) => this.#missing(error, queueNameOf(option)));
    const out = await this.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.url, AttributeNames: ["RedrivePolicy"] }),
    );
    const policy = out.Attributes?.RedrivePolicy;
    const arn = policy
      ? (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn
      : undefined;
    if (!arn) throw new NoDeadLetterQueueError(this.name);
    return this.lookupArn(arn).catch((error) => this.#missing(error, queueNameOf(arn)));
  }

  /** A dead-letter queue SQS says does not exist, as the error that says how to fix it. */
  #missing(error: unknown, name: string): never {
    throw isMissingQueue(error) ? missingDeadLetterQueue(name, this.name, error) : error;
  }

  /** A queue by name or URL. */
  async lookup(nameOrUrl: string): Promise<QueueRef> {
    if (/^https?:\/\//.test(nameOrUrl)) {
      const name = queueNameOf(nameOrUrl);
      return { url: nameOrUrl, name, fifo: name.endsWith(".fifo") };
    }
    const out = await this.client.send(new GetQueueUrlCommand({ QueueName: nameOrUrl }));
    if (!out.QueueUrl) throw new TransportError(`SQS returned no URL for queue "${nameOrUrl}"`);
    return { url: out.QueueUrl, name: nameOrUrl, fifo: nameOrUrl.endsWith(".fifo") };
  }

  /** A queue by ARN (`arn:aws:sqs:region:account:name`). */
  async lookupArn(arn: string): Promise<QueueRef> {
    const parts = arn.split(":");
    const name = parts[5] ?? queueNameOf(arn);
    const out = await this.client.send(
      new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: parts[4] || undefined }),
    );
    if (!out.QueueUrl) throw new TransportError(`SQS returned no URL for queue ${arn}`);
    return { url: out.QueueUrl, name, fifo: name.endsWith(".fifo") };
  }

  async #deleteBatch(handles: string[]): Promise<Array<Error | undefined>> {
    const out = await this.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.url,
        Entries: handles.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })),
      }),
    );
    return perEntry(handles.length, out.Failed, "delete");
  }

  async #visibilityBatch(
    entries: Array<{ handle: string; seconds: number }>,
  ): Promise<Array<Error | undefined>> {
    const out = await this.client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: this.url,
        Entries: entries.map((e, i) => ({
          Id: String(i),
          ReceiptHandle: e.handle,
          VisibilityTimeout: e.seconds,
        })),
      }),
    );
    return perEntry(entries.length, out.Failed, "change visibility of");
  }
}

function perEntry(
  n: number,
  failed:
    | Array<{ Id?: string | undefined; Code?: string | undefined; Message?: string | undefined }>
    | undefined,
  what: string,
): Array<Error | undefined> {
  const results: Array<Error | undefined> = new Array(n).fill(undefined);
  for (const f of failed ?? []) {
    const i = Number(f.Id);
    if (i >= 0 && i < n)
      results[i] = new TransportError(`SQS could not ${what} a message: ${f.Code}: ${f.Message}`);
  }
  return results;
}

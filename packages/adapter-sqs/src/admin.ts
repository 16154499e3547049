import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { type DeadLetter, Headers, type QueueAdmin, type QueueDepth } from "@mailroom/core";
import { redriveHeaders } from "@mailroom/core/transport";
import { receivedBody } from "./body.ts";
import { type Received, readReceived } from "./message.ts";
import { type QueueRef, SqsQueue } from "./queue.ts";
import { queueDepth, SYSTEM_ATTRIBUTES } from "./source.ts";

/** Options of `SqsAdmin`. */
export interface SqsAdminOptions {
  /** How long listed dead letters are hidden while being read, s. They are made visible again after. Default 10. */
  listVisibilitySeconds?: number;
  /** Poll interval of a StartMessageMoveTask's progress, ms. Default 1,000. */
  movePollMs?: number;
  /** Use StartMessageMoveTask when the endpoint supports it. Default true. */
  useMoveTask?: boolean;
}

/**
 * `mailroom stats` and `mailroom dlq list | redrive | purge` for one SQS queue and its dead-letter
 * queue. Listing receives from the DLQ with a short visibility and gives every message back at
 * once; redrive uses StartMessageMoveTask where the endpoint has it, else receive → send → delete;
 * purge receives and deletes.
 */
export class SqsAdmin implements QueueAdmin {
  readonly #queue: SqsQueue;
  readonly #options: SqsAdminOptions;

  constructor(queue: SqsQueue, options: SqsAdminOptions = {}) {
    this.#queue = queue;
    this.#options = options;
  }

  async stats(): Promise<Array<{ queue: string } & QueueDepth & { deadLettered: number }>> {
    const client = this.#queue.client;
    const depth = await queueDepth(client, this.#queue.url);
    let deadLettered = 0;
    const dlq = await this.#queue.deadLetterQueue().catch(() => undefined);
    if (dlq) {
      const d = await queueDepth(client, dlq.url);
      deadLettered = d.ready + d.delayed + d.inFlight;
    }
    return [{ queue: this.#queue.name, ...depth, deadLettered }];
  }

  async listDeadLetters(options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const limit = options.limit ?? 100;
    const dlq = new SqsQueue(this.#queue.client, (await this.#queue.deadLetterQueue()).url);
    const seen = new Map<string, DeadLetter>();
    const taken: Received[] = [];
    try {
      await this.#drainDlq(dlq, limit, this.#options.listVisibilitySeconds ?? 10, async (batch) => {
        for (const r of batch) {
          taken.push(r);
          if (!seen.has(r.messageId)) seen.set(r.messageId, this.#toDeadLetter(r));
        }
        return seen.size;
      });
    } finally {
      await Promise.allSettled(taken.map((r) => dlq.changeVisibility(r, 0)));
    }
    return [...seen.values()].slice(0, limit);
  }

  async redrive(
    options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    const dlqRef = await this.#queue.deadLetterQueue();
    if (options.limit === undefined && this.#options.useMoveTask !== false) {
      const moved = await this.#moveTask(dlqRef, options.onProgress).catch(() => undefined);
      if (moved !== undefined) return moved;
    }
    const dlq = new SqsQueue(this.#queue.client, dlqRef.url);
    const before = await queueDepth(this.#queue.client, dlq.url);
    const total = Math.min(options.limit ?? Number.POSITIVE_INFINITY, before.ready + before.delayed);
    let done = 0;
    await this.#drainDlq(dlq, options.limit ?? Number.POSITIVE_INFINITY, 30, async (batch) => {
      await Promise.all(
        batch.map(async (r) => {
          await this.#queue.resend(r, this.#queue, redriveHeaders(r.meta.headers));
          await dlq.delete(r);
          done++;
          options.onProgress?.(done, Math.max(total, done));
        }),
      );
      return done;
    });
    return done;
  }

  /**
   * Receive from the DLQ and delete (DeleteMessageBatch), not PurgeQueue: that one ignores a
   * limit, may take 60 s and refuses a second call within 60 s.
   */
  async purge(
    options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    const dlq = new SqsQueue(this.#queue.client, (await this.#queue.deadLetterQueue()).url);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const before = await queueDepth(this.#queue.client, dlq.url);
    const total = Math.min(limit, before.ready + before.delayed);
    // By message id: a message received again after its visibility ran out is counted once.
    const deleted = new Set<string>();
    await this.#drainDlq(dlq, limit, 30, async (batch) => {
      const fresh = batch.filter((r) => !deleted.has(r.messageId)).slice(0, limit - deleted.size);
      await Promise.all(fresh.map((r) => dlq.delete(r)));
      for (const r of fresh) deleted.add(r.messageId);
      if (fresh.length > 0) options.onProgress?.(deleted.size, Math.max(total, deleted.size));
      return deleted.size;
    });
    return deleted.size;
  }

  /**
   * Receive from the DLQ until `limit` is reached (as counted by `take`) or it has nothing new:
   * two receives in a row that are empty or bring only messages already taken (they come back
   * when a pass outlasts `visibilitySeconds`, on a big queue or a slow link) end it.
   */
  async #drainDlq(
    dlq: QueueRef,
    limit: number,
    visibilitySeconds: number,
    take: (batch: Received[]) => Promise<number>,
  ): Promise<void> {
    let count = 0;
    let empty = 0;
    while (count < limit && empty < 2) {
      const out = await this.#queue.client.send(
        new ReceiveMessageCommand({
          QueueUrl: dlq.url,
          MaxNumberOfMessages: Math.max(1, Math.min(10, limit - count)),
          WaitTimeSeconds: empty > 0 ? 1 : 0,
          VisibilityTimeout: visibilitySeconds,
          MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
          MessageAttributeNames: ["All"],
        }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) {
        empty++;
        continue;
      }
      const before = count;
      count = await take(messages.map((m) => readDeadLetter(m)));
      empty = count > before ? 0 : empty + 1;
    }
  }

  async #moveTask(dlq: QueueRef, onProgress?: (done: number, total: number) => void): Promise<number> {
    const client = this.#queue.client;
    const arn = async (url: string) =>
      (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] })))
        .Attributes?.QueueArn;
    const [source, destination] = await Promise.all([arn(dlq.url), arn(this.#queue.url)]);
    if (!source || !destination) throw new Error("queue ARNs unknown");
    await client.send(new StartMessageMoveTaskCommand({ SourceArn: source, DestinationArn: destination }));
    for (;;) {
      await new Promise((r) => setTimeout(r, this.#options.movePollMs ?? 1_000));
      const list = await client.send(new ListMessageMoveTasksCommand({ SourceArn: source, MaxResults: 1 }));
      const task = list.Results?.[0];
      const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
      onProgress?.(moved, Math.max(moved, task?.ApproximateNumberOfMessagesToMove ?? moved));
      if (!task || task.Status === "COMPLETED") return moved;
      if (task.Status === "FAILED" || task.Status === "CANCELLED") {
        throw new Error(`message move task ${task.Status}: ${task.FailureReason ?? ""}`);
      }
    }
  }

  #toDeadLetter(r: Received): DeadLetter {
    const h = r.meta.headers;
    const received = receivedBody(r.body, r.bodyEncoding);
    const body = typeof received === "string" ? received : Buffer.from(received).toString("utf8");
    const attempts = Number(h[Headers.attempt]);
    const atText = h[Headers.deadLetteredAt];
    const at = atText ? new Date(atText) : undefined;
    return {
      handle: r.messageId,
      id: r.meta.id ?? r.messageId,
      name: r.meta.name ?? nameInBody(body),
      reason: h[Headers.deadLetterReason] ?? "redrive_policy: moved by SQS after maxReceiveCount receives",
      attempts: Number.isInteger(attempts) && attempts > 0 ? attempts : r.receiveCount,
      deadLetteredAt: at && !Number.isNaN(at.getTime()) ? at : undefined,
      queue: h[Headers.originalQueue] ?? this.#queue.name,
      body,
      headers: h,
    };
  }
}

function readDeadLetter(m: Message): Received {
  return readReceived(
    {
      messageId: m.MessageId ?? "",
      receiptHandle: m.ReceiptHandle ?? "",
      body: m.Body,
      attributes: m.MessageAttributes,
      receiveCount: m.Attributes?.ApproximateReceiveCount,
      sentTimestamp: m.Attributes?.SentTimestamp,
      groupId: m.Attributes?.MessageGroupId,
    },
    { deadLettered: true },
  );
}

function nameInBody(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { name?: unknown };
    return typeof parsed?.name === "string" ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}

import { GetQueueAttributesCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { RefusedError } from "@mailroom/core";
import { isMissingQueue, missingDeadLetterQueue, sqsFailure } from "./errors.ts";
import type { QueueRef, SqsQueue } from "./queue.ts";

/**
 * What a worker checks before its first receive, so that it never takes a message it could not
 * settle: the queue answers (GetQueueAttributes), a dead-letter queue is known (`?dlq=`, else
 * the RedrivePolicy target) and exists (GetQueueUrl), and it is FIFO exactly when the queue is
 * (SQS refuses a group's message on a standard queue and requires one on a FIFO queue).
 * Rejects with a `ConfigError` for what waiting cannot fix, a `TransportError` otherwise.
 */
export async function checkQueue(queue: SqsQueue, signal: AbortSignal): Promise<void> {
  const client = queue.client;
  try {
    await client.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["QueueArn"] }), {
      abortSignal: signal,
    });
  } catch (error) {
    throw sqsFailure(error, `could not reach SQS queue "${queue.name}"`);
  }
  const which = `the dead-letter queue of SQS queue "${queue.name}"`;
  let dlq: QueueRef;
  try {
    dlq = await queue.deadLetterQueue();
  } catch (error) {
    throw sqsFailure(error, `could not find ${which}`);
  }
  try {
    await client.send(
      new GetQueueUrlCommand({ QueueName: dlq.name, QueueOwnerAWSAccountId: accountOf(dlq.url) }),
      { abortSignal: signal },
    );
  } catch (error) {
    if (!isMissingQueue(error)) throw sqsFailure(error, `could not check ${which}`);
    throw missingDeadLetterQueue(dlq.name, queue.name, error);
  }
  if (dlq.fifo !== queue.fifo) {
    const kind = (fifo: boolean) => (fifo ? "a FIFO queue" : "a standard queue");
    throw new RefusedError(
      `the dead-letter queue "${dlq.name}" of SQS queue "${queue.name}" is ${kind(dlq.fifo)} but the queue is ${kind(queue.fifo)}: the dead-letter queue of a FIFO queue must be FIFO, and of a standard queue standard`,
    );
  }
}

/** The account in a queue URL's path (`https://sqs.…/<account>/<name>`), when there is one. */
function accountOf(url: string): string | undefined {
  const parts = new URL(url).pathname.split("/").filter(Boolean);
  return parts.length >= 2 ? parts.at(-2) : undefined;
}

import { ConfigError, MailroomError } from "@mailroom/core";

/** A message could not be dead-lettered because the queue has no dead-letter queue. */
export class NoDeadLetterQueueError extends ConfigError {
  constructor(queue: string) {
    super(
      `queue "${queue}" has no dead-letter queue: give one with ?dlq=<name or URL> in the transport URL (or the \`deadLetterQueue\` option), or set a RedrivePolicy on the queue`,
    );
  }
}

/** One entry SQS refused in a SendMessageBatch, after the retries. */
export interface FailedEntry {
  /** The Mailroom message id. */
  readonly id: string;
  /** SQS error code, e.g. `InvalidParameterValue`. */
  readonly code: string;
  readonly message: string;
  /** True when SQS says the request was wrong (retrying cannot help). */
  readonly senderFault: boolean;
}

/**
 * Some messages of a publish call were not accepted by SQS (the others were). `failed` lists
 * them; retry those (server faults were already retried) or fix what `code` says.
 */
export class PublishFailedError extends MailroomError {
  readonly failed: readonly FailedEntry[];
  constructor(queue: string, failed: FailedEntry[]) {
    const first = failed[0];
    super(
      "publish_failed",
      `SQS refused ${failed.length} message(s) sent to "${queue}"${first ? `; first: ${first.id}: ${first.code}: ${first.message}` : ""}`,
    );
    this.failed = failed;
  }
}

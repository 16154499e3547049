import { ConfigError, describeError, MailroomError, RefusedError, TransportError } from "@mailroom/core";

/**
 * The queue has no dead-letter queue: Mailroom could not set aside messages that fail for good
 * (poison bodies, exhausted retries). `SqsSource.connect` refuses to start on such a queue.
 */
export class NoDeadLetterQueueError extends RefusedError {
  constructor(queue: string) {
    super(
      `SQS queue "${queue}" has no dead-letter queue, so messages that fail for good could not be set aside: set a RedrivePolicy on the queue, or give one with ?dlq=<name or URL> in the transport URL (the \`deadLetterQueue\` option)`,
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

/** SDK error names that say the credentials were refused: waiting cannot fix them. */
const CREDENTIAL_ERRORS = new Set([
  "CredentialsProviderError",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidSecurity",
]);
const ACCESS_ERRORS = new Set(["AccessDenied", "AccessDeniedException"]);
const MISSING_QUEUE_ERRORS = new Set(["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"]);

/** True when SQS answered that the queue does not exist. */
export function isMissingQueue(error: unknown): boolean {
  return error instanceof Error && MISSING_QUEUE_ERRORS.has(error.name);
}

/**
 * An SDK failure of `what` (e.g. `could not reach SQS queue "orders"`) as the error a worker acts
 * on: `ConfigError` for what waiting cannot fix (credentials refused or missing, access denied, no
 * such queue), `TransportError` for the rest (unreachable endpoint, throttling, server errors).
 * Mailroom's own errors pass through unchanged.
 */
export function sqsFailure(error: unknown, what: string): ConfigError | TransportError {
  if (error instanceof ConfigError || error instanceof TransportError) return error;
  const name = error instanceof Error ? error.name : "";
  const why = describeError(error);
  if (CREDENTIAL_ERRORS.has(name)) {
    return new RefusedError(
      `${what}: the AWS credentials were refused or not found (${why}); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role is attached`,
      { cause: error },
    );
  }
  if (ACCESS_ERRORS.has(name)) {
    return new RefusedError(
      `${what}: access denied (${why}); the README's IAM table lists the actions a worker needs`,
      { cause: error },
    );
  }
  if (MISSING_QUEUE_ERRORS.has(name)) {
    return new RefusedError(`${what}: the queue does not exist (create it, or fix the name)`, {
      cause: error,
    });
  }
  return new TransportError(`${what}: ${why}`, { cause: error });
}

/** The dead-letter queue named by `?dlq=` or the RedrivePolicy does not exist. */
export function missingDeadLetterQueue(dlq: string, queue: string, cause: unknown): RefusedError {
  return new RefusedError(
    `the dead-letter queue "${dlq}" of SQS queue "${queue}" does not exist: create it, or point the RedrivePolicy or ?dlq= at one that does`,
    { cause },
  );
}

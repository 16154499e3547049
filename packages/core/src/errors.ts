/** Base class of every error Mailroom throws on purpose. `code` is stable; `message` says what to do. */
export class MailroomError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Thrown by a handler when retrying cannot help (bad data, a business rule). The message is
 * dead-lettered at once with reason `permanent_error: <message>`.
 */
export class PermanentError extends MailroomError {
  constructor(message: string, options?: ErrorOptions) {
    super("permanent_error", message, options);
  }
}

/**
 * Thrown (or returned through `ctx.retry`) to retry after a given delay instead of the policy's
 * backoff. Still counts as an attempt.
 */
export class RetryLater extends MailroomError {
  readonly delayMs: number;
  constructor(delayMs: number, message = `retry requested in ${delayMs} ms`) {
    super("retry_later", message);
    this.delayMs = delayMs;
  }
}

/**
 * Thrown (by middleware, say) when the message cannot run yet and trying it is not a run: it is
 * put back for `delayMs` WITHOUT counting an attempt, as a `not-before` re-delay is. The
 * idempotency middleware throws it while another worker holds the message's claim, so a claim
 * left by a worker that died never dead-letters the message for runs it did not have. Bounded
 * by whatever it waits for (a claim's TTL), and on transports that count receives, by
 * `retry.maxReceives`.
 */
export class DeferLater extends MailroomError {
  readonly delayMs: number;
  constructor(delayMs: number, message = `deferred for ${delayMs} ms`) {
    super("defer_later", message);
    this.delayMs = delayMs;
  }
}

/** A body could not be decoded into an envelope. */
export class DecodeError extends MailroomError {
  constructor(message: string, options?: ErrorOptions) {
    super("decode_failed", message, options);
  }
}

/** Configuration is wrong: a bad transport URL, a duplicate handler, a missing option. */
export class ConfigError extends MailroomError {
  constructor(message: string, options?: ErrorOptions) {
    super("config_error", message, options);
  }
}

/**
 * The broker refused what the configuration asks for: credentials, a vhost or queue that does
 * not exist, no dead-letter destination. A `ConfigError` — waiting does not fix it, so a Worker
 * stops at start-up with it — that the transport found by asking the broker (the CLI exits 3).
 */
export class RefusedError extends ConfigError {}

/** A handler ran past its timeout; `ctx.signal` was aborted with this error. Retried by policy. */
export class TimeoutError extends MailroomError {
  constructor(ms: number) {
    super("timeout", `handler did not finish within ${ms} ms`);
  }
}

/** A request got no reply in time (`Requester.request`). */
export class RequestTimeoutError extends MailroomError {
  readonly requestName: string;
  readonly timeoutMs: number;
  constructor(name: string, timeoutMs: number) {
    super(
      "request_timeout",
      `no reply to "${name}" within ${timeoutMs} ms: is a worker running with a handler for it, and does the handler return a value?`,
    );
    this.requestName = name;
    this.timeoutMs = timeoutMs;
  }
}

/** The transport failed (connection lost, request rejected). Retried by the runtime with backoff. */
export class TransportError extends MailroomError {
  constructor(message: string, options?: ErrorOptions) {
    super("transport_error", message, options);
  }
}

/** A short, single-line description of any thrown value, for reasons and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.replace(/\s+/g, " ").slice(0, 500);
  return String(error).replace(/\s+/g, " ").slice(0, 500);
}

import { isDecodeFailure } from "../envelope.ts";
import { describeError } from "../errors.ts";
import type { SettledMessage } from "../middleware/middleware.ts";
import type { Outcome } from "../runtime/outcome.ts";

/** What happened to one delivery, as the message log keeps it (see `Outcome`). */
export type OutcomeKind = Outcome["kind"];

/**
 * One handled (or settled without running) delivery of a message: one entry per attempt, so a
 * message retried twice then acked has three. Ids, names, reasons and times only — never a body.
 * Times are epoch ms.
 */
export interface MessageLogEntry {
  /** The message id (`Envelope.id`; for a body that could not be decoded, what metadata it had, else `""`). */
  readonly id: string;
  /** The message name; undefined when the body could not be decoded. */
  readonly name: string | undefined;
  /** The message this one was published from (`ctx.forward`, replies): its lineage. */
  readonly parentId: string | undefined;
  readonly correlationId: string | undefined;
  /** Handler runs, this one included (1 on first delivery). */
  readonly attempt: number;
  /** `ack`, `retry`, `deadLetter`, `defer` (not due yet), `release` (given back on stop) or `skipped` (FIFO). */
  readonly outcome: OutcomeKind;
  /** Why: the dead-letter reason, or the error a retry is for. */
  readonly reason: string | undefined;
  /** For `retry` and `defer`: the delay asked for, ms. */
  readonly delayMs: number | undefined;
  /** When the runtime received the delivery (Worker: the receive; push: the invocation). */
  readonly receivedAt: number;
  /** When its run began (triage, validation, middleware, handler). */
  readonly startedAt: number;
  /** When its outcome was settled with the transport. */
  readonly finishedAt: number;
  /** `finishedAt - startedAt`. */
  readonly durationMs: number;
  /** Transport kind: `sqlite`, `amqp`, `sqs`, … */
  readonly transport: string;
  readonly queue: string;
}

/** Where the `messageLog` middleware writes entries. */
export interface MessageLogSink {
  /**
   * Take one entry. Called on the runtime's path for every settled delivery: keep it cheap and
   * write asynchronously or in batches (a handler must never wait on a disk write per message).
   * A sink that throws or rejects is logged once and never changes an outcome.
   */
  record(entry: MessageLogEntry): void | Promise<void>;
  /** Write what is buffered and let go of resources. */
  close?(): Promise<void>;
}

/** The entry for a settled delivery. */
export function toEntry(settled: SettledMessage): MessageLogEntry {
  const { envelope, outcome } = settled;
  const decoded = !isDecodeFailure(envelope);
  return {
    id: (decoded ? envelope.id : envelope.meta.id) ?? "",
    name: decoded ? envelope.name : envelope.meta.name,
    parentId: decoded ? envelope.parentId : envelope.meta.parentId,
    correlationId: decoded ? envelope.correlationId : envelope.meta.correlationId,
    attempt: envelope.attempt,
    outcome: outcome.kind,
    reason:
      outcome.kind === "deadLetter"
        ? outcome.reason
        : outcome.kind === "retry"
          ? describeError(outcome.error)
          : undefined,
    delayMs: outcome.kind === "retry" || outcome.kind === "defer" ? outcome.delayMs : undefined,
    receivedAt: settled.receivedAt,
    startedAt: settled.startedAt,
    finishedAt: settled.finishedAt,
    durationMs: settled.finishedAt - settled.startedAt,
    transport: envelope.transport.kind,
    queue: envelope.transport.queue,
  };
}

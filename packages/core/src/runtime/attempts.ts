import { Headers } from "../envelope.ts";

/**
 * The one rule for `attempt`, used by every transport: `attempt` counts handler runs. A broker's
 * receive count (SQS ApproximateReceiveCount, MNS DequeueCount, Azure dequeueCount, RabbitMQ
 * x-delivery-count) counts receives, which also grow on uncounted returns (`defer`, `release`,
 * FIFO group mates given back, push records reported failed behind a failing head).
 *
 * - Where every uncounted return is made a re-send that carries the runs so far in the
 *   `mailroom-attempt` header, each receive of a copy is a run: attempt = runs carried + receives.
 * - Where an uncounted return must stay in place (FIFO queues: a re-send would reorder the group),
 *   the receive count is only an upper bound. Then attempt = runs carried + runs this process saw
 *   finish (a `RunLedger`) + 1, a lower bound that is exact while one process handles the message,
 *   and a separate receive limit (`RetryPolicy.maxReceives`, far above `maxAttempts`) dead-letters
 *   with reason `max_receives_exceeded`. A message is never dead-lettered for runs it did not have.
 */
export interface ReceiveHistory {
  /** Runs recorded on this copy by the re-send that made it (the `mailroom-attempt` header); 0 when none. */
  runsBefore: number;
  /** The broker's receive count of this copy: 1 on its first receive. */
  receiveCount: number;
  /**
   * `runs`: every uncounted return of this copy is a re-send, so each receive was a run.
   * `receives`: uncounted returns stay in place (FIFO); the count is an upper bound of runs.
   */
  counts: "runs" | "receives";
  /** `counts: "receives"` only: runs of this copy this process saw finish (from a `RunLedger`). */
  runsSeen?: number;
}

/** `attempt` of a received message by the rule above (1 on first delivery). */
export function attemptOf(history: ReceiveHistory): number {
  if (history.counts === "runs") return history.runsBefore + Math.max(1, history.receiveCount);
  return history.runsBefore + (history.runsSeen ?? 0) + 1;
}

/** The runs a copy must carry when a delivery of `attempt` is re-sent: a retry counts this run, the rest do not. */
export function runsForCopy(kind: "retry" | "defer" | "release" | "deadLetter", attempt: number): number {
  return Math.max(0, kind === "retry" || kind === "deadLetter" ? attempt : attempt - 1);
}

/** Handler runs carried in a copy's headers (`mailroom-attempt`); 0 when absent or not a count. */
export function runsCarried(headers: Readonly<Record<string, string | undefined>>): number {
  const n = Number(headers[Headers.attempt]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** How a re-sent copy reaches its due time on a transport whose send delay is capped. */
export interface CopyPlan {
  /** The send delay to ask the broker for, ms (≤ the cap). */
  delayMs: number;
  /** Headers to set on the copy: the runs so far, and `not-before` when the cap is not enough. */
  headers: Record<string, string>;
}

/**
 * Plan the copy a transport re-sends for `retry`, `defer` or `release` (and any re-delay): it
 * carries the runs so far (see `runsForCopy`) and, beyond `maxDelayMs`, the `not-before` time a
 * worker receiving it early defers to. `headers` are the message's own: a retry drops its (due)
 * `not-before`; a defer or release keeps it, since the message has not run.
 */
export function planCopy(
  kind: "retry" | "defer" | "release",
  attempt: number,
  delayMs: number,
  maxDelayMs: number,
  headers: Readonly<Record<string, string>> = {},
  now: number = Date.now(),
): CopyPlan {
  const out: Record<string, string> = { ...headers, [Headers.attempt]: String(runsForCopy(kind, attempt)) };
  const wait = Math.max(0, delayMs);
  if (wait > maxDelayMs) out[Headers.notBefore] = new Date(now + wait).toISOString();
  // A retry ran, so its not-before was due; a defer or release did not run and keeps its schedule.
  else if (kind === "retry") delete out[Headers.notBefore];
  return { delayMs: Math.min(wait, maxDelayMs), headers: out };
}

/** Facts written on every dead letter, whatever the transport. */
export interface DeadLetterFacts {
  reason: string;
  /** Handler runs the message had. */
  attempts: number;
  /** Queue it was dead-lettered from (redrive sends it back there). */
  queue: string;
  at?: Date;
}

/** The headers a dead letter carries: its own headers plus reason, time, runs and queue; no `not-before`. */
export function deadLetterHeaders(
  headers: Readonly<Record<string, string>>,
  facts: DeadLetterFacts,
): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  delete out[Headers.notBefore];
  out[Headers.deadLetterReason] = facts.reason.slice(0, 4096);
  out[Headers.deadLetteredAt] = (facts.at ?? new Date()).toISOString();
  out[Headers.attempt] = String(facts.attempts);
  out[Headers.originalQueue] = facts.queue;
  return out;
}

/** Header names a dead letter gets and a redriven message loses (it starts over at attempt 1). */
export const DEAD_LETTER_HEADERS: readonly string[] = [
  Headers.deadLetterReason,
  Headers.deadLetteredAt,
  Headers.originalQueue,
  Headers.attempt,
];

/** The headers of a redriven message: the dead-letter facts and the run count removed. */
export function redriveHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  for (const h of DEAD_LETTER_HEADERS) delete out[h];
  return out;
}

/**
 * Runs per message that this process saw finish, for transports whose receive count cannot tell
 * runs (`counts: "receives"`). Bounded: the oldest entries go first past `max` keys.
 */
export class RunLedger {
  readonly #runs = new Map<string, number>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** Runs recorded for `key` (0 when unknown). */
  runs(key: string): number {
    return this.#runs.get(key) ?? 0;
  }

  /** Count one finished run of `key` that did not end it (a retry). */
  record(key: string): void {
    const n = (this.#runs.get(key) ?? 0) + 1;
    this.#runs.delete(key);
    this.#runs.set(key, n);
    if (this.#runs.size > this.#max) this.#runs.delete(this.#runs.keys().next().value as string);
  }

  /** The message is done with (acked, dead-lettered): forget it. */
  forget(key: string): void {
    this.#runs.delete(key);
  }

  get size(): number {
    return this.#runs.size;
  }
}

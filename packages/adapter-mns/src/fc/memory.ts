import { RunLedger } from "@mailroom/core/push";
import type { FcMessage } from "./events.ts";

/** How a pushed message was finished: nothing is left to do for it. */
export type FcDone = "ack" | "deadLetter" | "deferred" | "resent";

/**
 * What one `toAliyunFC` handler instance remembers across invocations, so that FC re-running an
 * event (after a settle failed, a timeout, a crash of the invocation) neither runs nor copies
 * again the messages an earlier run finished: which messages are done (and how), and how many
 * runs of the others this instance saw (core's `RunLedger`, for `attemptOf` with
 * `counts: "receives"`). Keyed by MNS message id, so a message pushed again in another event is
 * recognised too. Bounded: it remembers at least the `max` most recently finished or looked-up
 * ids and at most twice as many, in two generations (a full one is dropped whole, in O(1): a
 * single Map trimmed one oldest key at a time slows down as V8 skips the deleted entries at its
 * front). It lives in this process only: a re-run on another FC instance does not see it.
 */
export class FcMemory {
  #done = new Map<string, FcDone>();
  #older = new Map<string, FcDone>();
  readonly #runs: RunLedger;
  readonly #max: number;

  /** `max` 0 turns memory off. */
  constructor(max: number) {
    this.#max = max;
    this.#runs = new RunLedger(Math.max(1, max));
  }

  /** The key of a message, or undefined when it has no id (topic STREAM format) or memory is off. */
  keyOf(message: FcMessage): string | undefined {
    if (this.#max === 0 || message.messageId === undefined) return undefined;
    return `${message.kind}\n${message.source ?? ""}\n${message.messageId}`;
  }

  /** How an earlier run finished this message, if one did. */
  done(key: string | undefined): FcDone | undefined {
    if (key === undefined) return undefined;
    const how = this.#done.get(key);
    if (how !== undefined) return how;
    const older = this.#older.get(key);
    // Looked up again: keep it with the recent ones.
    if (older !== undefined) this.#remember(key, older);
    return older;
  }

  /** The message is finished: a re-run reports it `how` without running or copying it. */
  finish(key: string | undefined, how: FcDone): void {
    if (key === undefined) return;
    if (this.#runs.size > 0) this.#runs.forget(key);
    this.#remember(key, how);
  }

  #remember(key: string, how: FcDone): void {
    this.#done.set(key, how);
    if (this.#done.size >= this.#max) {
      this.#older = this.#done;
      this.#done = new Map();
    }
  }

  /** Runs of this message this instance saw end without finishing it. */
  runsSeen(key: string | undefined): number {
    // Nearly always empty (only retries left to FC are counted): no lookup then.
    return key === undefined || this.#runs.size === 0 ? 0 : this.#runs.runs(key);
  }

  /** A run ended in a retry that leaves the message to FC (not finished here). */
  recordRun(key: string | undefined): void {
    if (key !== undefined) this.#runs.record(key);
  }
}

import type { TransportInfo } from "@mailroom/core";
import { attemptOf, RunLedger } from "@mailroom/core/push";
import { CEILING_MARGIN_MS, MAX_VISIBILITY_MS } from "./limits.ts";
import type { Received } from "./message.ts";

/** Longest one `not-before` hop holds a FIFO message in place: the 12-hour visibility ceiling, less our margin. */
export const FIFO_DEFER_HOP_MS = MAX_VISIBILITY_MS - CEILING_MARGIN_MS;

const NO_FACTS: Pick<TransportInfo, "receiveCount" | "deferHopMs"> = Object.freeze({});

/**
 * How `attempt` is counted on one queue, by core's one rule (`attemptOf`).
 *
 * - Standard queues: every uncounted return (`defer`, `release`) is a re-send carrying the runs
 *   so far, so each receive of a copy is a run: attempt = runs carried + ApproximateReceiveCount.
 * - FIFO queues: a re-send would reorder the group, so uncounted returns (and group mates given
 *   back) stay in place and the receive count is only an upper bound. attempt = runs carried +
 *   the runs this process saw (its `RunLedger`: a worker's queue, a warm Lambda container) + 1,
 *   and the receive count goes to core's receive limit (`maxReceives`, reason
 *   `max_receives_exceeded`), with the 12-hour hop so a schedule's hops are not held against it.
 */
export class AttemptCounting {
  readonly fifo: boolean;
  readonly #ledger: RunLedger;

  constructor(fifo: boolean, ledger: RunLedger = new RunLedger()) {
    this.fifo = fifo;
    this.#ledger = ledger;
  }

  /** The envelope's `attempt`: 1 on the first run. */
  attempt(r: Received): number {
    if (!this.fifo)
      return attemptOf({ runsBefore: r.runsBefore, receiveCount: r.receiveCount, counts: "runs" });
    return attemptOf({
      runsBefore: r.runsBefore,
      receiveCount: r.receiveCount,
      counts: "receives",
      runsSeen: this.#ledger.runs(r.messageId),
    });
  }

  /** The facts core's triage judges the receive limit on: FIFO only (standard queues count runs exactly). */
  receiveFacts(r: Received): Pick<TransportInfo, "receiveCount" | "deferHopMs"> {
    return this.fifo ? { receiveCount: r.receiveCount, deferHopMs: FIFO_DEFER_HOP_MS } : NO_FACTS;
  }

  /** A run that ended in a retry kept in place (FIFO): the next receive is one attempt further. */
  ran(r: Received): void {
    if (this.fifo) this.#ledger.record(r.messageId);
  }

  /** The message is done with (acked, dead-lettered): its runs need not be remembered. */
  done(r: Received): void {
    if (this.fifo) this.#ledger.forget(r.messageId);
  }
}

/** What happened to one delivery. */
export type Outcome =
  | { kind: "ack" }
  | { kind: "retry"; delayMs: number; error: unknown }
  | { kind: "deadLetter"; reason: string }
  | { kind: "defer"; delayMs: number }
  | { kind: "release" }
  /** FIFO: an earlier message of the group is not done; this one was given back without running. */
  | { kind: "skipped" };

export const ACK: Outcome = Object.freeze({ kind: "ack" });
export const SKIPPED: Outcome = Object.freeze({ kind: "skipped" });

/**
 * True when the message is done with: acked or dead-lettered. Anything else (retry, defer,
 * release, skipped) comes back, so in a FIFO group every later message must wait for it.
 */
export function isDone(outcome: Outcome): boolean {
  return outcome.kind === "ack" || outcome.kind === "deadLetter";
}

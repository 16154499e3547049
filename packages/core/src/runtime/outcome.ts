/** What happened to one delivery. */
export type Outcome =
  | { kind: "ack" }
  | { kind: "retry"; delayMs: number; error: unknown }
  | { kind: "deadLetter"; reason: string }
  | { kind: "defer"; delayMs: number }
  | { kind: "release" }
  /** Push mode, FIFO: an earlier message of the group failed; nothing was done to this one. */
  | { kind: "skipped" };

export const ACK: Outcome = Object.freeze({ kind: "ack" });
export const SKIPPED: Outcome = Object.freeze({ kind: "skipped" });

/** True when the outcome means the message is done with (acked or dead-lettered). */
export function isSettledForGood(outcome: Outcome): boolean {
  return outcome.kind === "ack" || outcome.kind === "deadLetter" || outcome.kind === "defer";
}

import { type DecodeFailure, type Envelope, isDecodeFailure } from "../envelope.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Outcome } from "./outcome.ts";

/**
 * One log line per outcome; ids, names and reasons only — never a message body. Shared by the
 * Worker and push `dispatch`, so a failure is visible in the logs on every transport.
 */
export function logOutcome(logger: Logger, envelope: Envelope | DecodeFailure, outcome: Outcome): void {
  if (outcome.kind === "ack" && logger.isLevelEnabled?.("debug") === false) return;
  const base = isDecodeFailure(envelope)
    ? { messageId: envelope.meta.id, queue: envelope.transport.queue, attempt: envelope.attempt }
    : {
        messageId: envelope.id,
        messageName: envelope.name,
        queue: envelope.transport.queue,
        attempt: envelope.attempt,
      };
  switch (outcome.kind) {
    case "ack":
      logger.debug(base, "acked");
      break;
    case "retry":
      logger.warn(
        { ...base, delayMs: outcome.delayMs, error: describeError(outcome.error) },
        "handler failed; retrying",
      );
      break;
    case "deadLetter":
      logger.error({ ...base, reason: outcome.reason }, "dead-lettered");
      break;
    default:
      logger.debug({ ...base, outcome: outcome.kind }, "re-delayed");
  }
}

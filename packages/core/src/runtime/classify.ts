import type { Registration } from "../app.ts";
import { describeError, PermanentError, RetryLater } from "../errors.ts";
import { backoffDelay } from "../retry.ts";
import type { Outcome } from "./outcome.ts";

/** Turn a handler failure into an outcome: dead-letter, or retry by policy (or as asked). */
export function classifyFailure(error: unknown, attempt: number, reg: Registration): Outcome {
  if (error instanceof PermanentError)
    return { kind: "deadLetter", reason: `permanent_error: ${error.message}` };
  const max = reg.retry.maxAttempts;
  if (attempt >= max) {
    return {
      kind: "deadLetter",
      reason: `max_attempts_exceeded: failed ${attempt} of ${max} attempts; last error: ${describeError(error)}`,
    };
  }
  const delayMs = error instanceof RetryLater ? error.delayMs : backoffDelay(reg.retry, attempt);
  return { kind: "retry", delayMs, error };
}

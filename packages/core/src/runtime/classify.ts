import type { Registration } from "../app.ts";
import { DeferLater, describeError, MailroomError, PermanentError, RetryLater } from "../errors.ts";
import { backoffDelay } from "../retry.ts";
import type { Outcome } from "./outcome.ts";

/** Turn a handler failure into an outcome: dead-letter, or retry by policy (or as asked), or defer uncounted. */
export function classifyFailure(error: unknown, attempt: number, reg: Registration): Outcome {
  if (error instanceof DeferLater) return { kind: "defer", delayMs: error.delayMs };
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

/** A schema threw instead of returning issues (a zod `.transform` that throws, say). */
export class SchemaError extends MailroomError {
  constructor(name: string, cause: unknown) {
    super("schema_threw", `the schema of "${name}" threw: ${describeError(cause)}`, { cause });
  }
}

/**
 * The failure to classify when a schema throws: handled like a handler's failure (retried by
 * policy), except that a `PermanentError` thrown in the schema dead-letters at once.
 */
export function schemaThrew(reg: Registration, error: unknown): unknown {
  return error instanceof PermanentError ? error : new SchemaError(reg.name, error);
}

import type { StandardSchemaV1 } from "@standard-schema/spec";

export type { StandardSchemaV1 };

/** The data type a schema produces; `unknown` without a schema. */
export type InferData<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown;

/** Result of validating data against a handler's schema. */
export type Validation = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Validate through Standard Schema (zod 4, valibot, arktype, …). Stays synchronous when the
 * schema is, so the common path costs no extra promise.
 */
export function validate(schema: StandardSchemaV1, value: unknown): Validation | Promise<Validation> {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) return result.then(toValidation);
  return toValidation(result);
}

function toValidation(result: StandardSchemaV1.Result<unknown>): Validation {
  if (result.issues === undefined) return { ok: true, value: result.value };
  const text = result.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path?.map((p) => (typeof p === "object" ? String(p.key) : String(p))).join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
  const more = result.issues.length > 5 ? ` (+${result.issues.length - 5} more)` : "";
  return { ok: false, reason: `schema_validation_failed: ${text}${more}` };
}

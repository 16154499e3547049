import type { StandardSchemaV1 } from "@standard-schema/spec";

export type { StandardSchemaV1 };

/**
 * Schema kinds besides Standard Schema, which codec packages add by declaration merging: each
 * member is `{ schema: <the schema type>; data: <the data it gives for the schema S> }`.
 * `@mailroom/codec-protobuf` adds protobuf message types this way.
 *
 * @example
 * declare module "@mailroom/core" {
 *   interface SchemaKinds<S> {
 *     protobuf: { schema: DescMessage; data: S extends DescMessage ? MessageShape<S> : never };
 *   }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: codec packages merge their members into it.
// biome-ignore lint/correctness/noUnusedVariables: S is for the members they merge in.
export interface SchemaKinds<S = unknown> {}

/** What a handler's `schema` may be: a Standard Schema, or a kind a codec package added (see `SchemaKinds`). */
export type HandlerSchema = StandardSchemaV1 | KindSchema<SchemaKinds<never>>;

type KindSchema<K> = { [P in keyof K]: K[P] extends { schema: infer X } ? X : never }[keyof K];

type KindData<S, K> = {
  [P in keyof K]: K[P] extends { schema: infer X; data: infer D } ? (S extends X ? D : never) : never;
}[keyof K];

/** The data type a schema produces; `unknown` without a schema. */
export type InferData<S> = S extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<S>
  : [KindData<S, SchemaKinds<S>>] extends [never]
    ? unknown
    : KindData<S, SchemaKinds<S>>;

/** A schema that names the messages it describes (a protobuf message type's full name). */
export interface NamedSchema {
  readonly typeName: string;
}

/** True for a Standard Schema (zod 4, valibot, arktype, …). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const standard = (value as { "~standard"?: { validate?: unknown } })["~standard"];
  return typeof standard === "object" && standard !== null && typeof standard.validate === "function";
}

/** The message name a schema carries (`typeName`), if any. */
export function schemaName(schema: unknown): string | undefined {
  if ((typeof schema !== "object" && typeof schema !== "function") || schema === null) return undefined;
  const name = (schema as { typeName?: unknown }).typeName;
  return typeof name === "string" && name.length > 0 ? name : undefined;
}

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

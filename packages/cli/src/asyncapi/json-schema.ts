import { createRequire } from "node:module";
import { join } from "node:path";
import type { StandardSchemaV1 } from "@mailroom/core";

/** A JSON Schema object (draft-07, which AsyncAPI's default schema format extends). */
export type JsonSchema = Record<string, unknown>;

/** The Standard JSON Schema extension (`~standard.jsonSchema`) that newer schema libraries carry (zod ≥ 4.2, …). */
interface JsonSchemaConverter {
  input(options: { target: string }): Record<string, unknown>;
}

type ZodToJsonSchema = (schema: unknown, options: { target: string; io: string }) => Record<string, unknown>;

/**
 * The JSON Schema of what producers may send for a handler's schema: `{}` without a schema;
 * the schema's own `~standard.jsonSchema.input()` when it has one; zod 4's `z.toJSONSchema`
 * (the zod the handlers import, found from `resolveFrom`) for zod schemas without it; else `{}`
 * with a `description` saying why it could not be converted, so the document stays valid.
 * The `$schema` keyword is dropped: the document's schema format says the dialect.
 */
export function toJsonSchema(schema: StandardSchemaV1 | undefined, resolveFrom: string): JsonSchema {
  if (schema === undefined) return {};
  const standard = schema["~standard"];
  const converter = (standard as { jsonSchema?: Partial<JsonSchemaConverter> }).jsonSchema;
  try {
    if (typeof converter?.input === "function")
      return withoutDialect(converter.input({ target: "draft-07" }));
    if (standard.vendor === "zod") {
      const toJSONSchema = zodConverter(resolveFrom);
      if (toJSONSchema) return withoutDialect(toJSONSchema(schema, { target: "draft-7", io: "input" }));
    }
  } catch (error) {
    return unconvertible(standard.vendor, (error as Error).message ?? String(error));
  }
  return unconvertible(standard.vendor, "the library has no JSON Schema export");
}

/**
 * `schema` with every local `$ref` (`#`, `#/definitions/…`) made absolute under `base`, a JSON
 * pointer into the document that will hold it: a converted schema's references are relative to
 * its own root, which is not the document's.
 */
export function rebaseRefs(schema: JsonSchema, base: string): JsonSchema {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value !== "object" || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] =
        key === "$ref" && typeof v === "string" && v.startsWith("#") ? `${base}${v.slice(1)}` : walk(v);
    }
    return out;
  };
  return walk(schema) as JsonSchema;
}

function withoutDialect(schema: Record<string, unknown>): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

function unconvertible(vendor: string, why: string): JsonSchema {
  return {
    description: `The handler's ${vendor} schema could not be converted to JSON Schema (${why}); the payload is not described here.`,
  };
}

/** zod's `toJSONSchema` as installed for the handlers (zod 4), if any. */
function zodConverter(resolveFrom: string): ZodToJsonSchema | undefined {
  try {
    const zod = createRequire(join(resolveFrom, "noop.js"))("zod") as {
      toJSONSchema?: ZodToJsonSchema;
      z?: { toJSONSchema?: ZodToJsonSchema };
    };
    return zod.toJSONSchema ?? zod.z?.toJSONSchema;
  } catch {
    return undefined;
  }
}

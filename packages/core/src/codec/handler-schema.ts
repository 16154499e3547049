import { ConfigError } from "../errors.ts";
import { isStandardSchema, type StandardSchemaV1, schemaName } from "../schema.ts";
import type { Codec } from "./codec.ts";

/** The name of a handler registered without one: its schema's type name. */
export function nameOf(options: { schema?: unknown } | undefined): string {
  const name = schemaName(options?.schema);
  if (name === undefined) {
    throw new ConfigError(
      "a handler registered without a name needs a schema that names its messages (a protobuf message type); give the name first: app.handle(name, options, fn)",
    );
  }
  return name;
}

/** A handler's schema as a Standard Schema: as it is, or adapted by the handler's (else the app's) codec. */
export function adaptSchema(
  name: string,
  schema: unknown,
  codec: Codec | undefined,
): StandardSchemaV1 | undefined {
  if (schema === undefined || isStandardSchema(schema)) return schema;
  const adapted = codec?.adaptSchema?.(schema);
  if (adapted) return adapted;
  throw new ConfigError(
    schemaName(schema) !== undefined
      ? `the schema of "${name}" is a message type (${schemaName(schema)}) that ${codec ? `the codec "${codec.name}"` : "no codec"} can read: give the handler (or the app) codec: protobufCodec() from @mailroom/codec-protobuf`
      : `the schema of "${name}" is not a Standard Schema (zod 4, valibot, arktype, …) nor one its codec reads`,
  );
}

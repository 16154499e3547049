// What handlers and apps use. What only transport authors need is in `@mailroom/core/transport`.
export * from "./app.ts";
export { type CloudEventsCodecOptions, cloudEventsCodec } from "./codec/cloudevents.ts";
export { CLOUDEVENTS_JSON, CloudEventsHeaders, LineageExtensions } from "./codec/cloudevents-names.ts";
export type { Codec, Decoded, EncodeInput, WireMessage } from "./codec/codec.ts";
export { type DecodeLimits, type JsonCodecOptions, jsonCodec } from "./codec/json.ts";
export { PROTOBUF_MEDIA_TYPE } from "./codec/wire-format.ts";
export * from "./definition.ts";
export * from "./envelope.ts";
export * from "./errors.ts";
export { uuidv7 } from "./ids.ts";
export * from "./logger.ts";
export * from "./middleware/idempotency.ts";
export type {
  DispatchedInvocation,
  HandlerRequest,
  Middleware,
  SettledMessage,
} from "./middleware/middleware.ts";
export * from "./middleware/tracing.ts";
export * from "./retry.ts";
export type { Context, SendOptions } from "./runtime/context.ts";
export * from "./runtime/health.ts";
export type { Outcome } from "./runtime/outcome.ts";
export * from "./runtime/stats.ts";
export * from "./runtime/worker.ts";
export type { HandlerSchema, InferData, NamedSchema, SchemaKinds, StandardSchemaV1 } from "./schema.ts";
export type * from "./transport.ts";
export type { LocalTransport, LocalTransportOptions } from "./transports/local.ts";
export { memoryTransport } from "./transports/memory.ts";
export * from "./transports/registry.ts";
export { type SqliteStoreOptions, sqliteTransport } from "./transports/sqlite.ts";
export { within } from "./within.ts";

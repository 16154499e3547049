/**
 * `@mailroom/core/transport`: what transport and push-adapter authors need and handler code does
 * not — the one triage / run / settle path, push dispatch, the attempt-counting rule, copy and
 * dead-letter headers, the settle coalescer, the local stores. Apps import `@mailroom/core`.
 */
export * from "./codec/attributes.ts";
export * from "./codec/cloudevents.ts";
export * from "./codec/cloudevents-names.ts";
export * from "./codec/codec.ts";
export * from "./codec/json.ts";
export * from "./codec/self-contained.ts";
export * from "./codec/wire-format.ts";
export { type InnerRun, runLayers } from "./middleware/middleware.ts";
export * from "./runtime/attempts.ts";
export * from "./runtime/batch.ts";
export * from "./runtime/classify.ts";
export * from "./runtime/coalescer.ts";
export * from "./runtime/context.ts";
export * from "./runtime/outcome.ts";
export * from "./runtime/outcome-log.ts";
export * from "./runtime/outgoing.ts";
export * from "./runtime/process.ts";
export * from "./runtime/push.ts";
export * from "./runtime/requester.ts";
export { type Validation, validate } from "./schema.ts";
export { withProducerSpans } from "./tracing/producer.ts";
export type * from "./transport.ts";
export * from "./transports/local.ts";
export * from "./transports/local-store.ts";
export * from "./transports/memory.ts";
export * from "./transports/sqlite.ts";

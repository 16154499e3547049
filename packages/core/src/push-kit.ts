/**
 * `@mailroom/core/push`: the part of `@mailroom/core/transport` a cloud-function entry needs —
 * push dispatch, decoding, the attempt-counting rule, copy and dead-letter headers — and nothing
 * else, so a function's cold start loads about twenty small modules instead of all of core
 * (no Worker, local stores, health server or middleware). Everything here is also exported by
 * `@mailroom/core` or `@mailroom/core/transport`; the same objects, not copies.
 */
export * from "./codec/attributes.ts";
export * from "./codec/cloudevents.ts";
export * from "./codec/cloudevents-names.ts";
export * from "./codec/codec.ts";
export * from "./codec/json.ts";
export * from "./codec/self-contained.ts";
export * from "./codec/wire-format.ts";
export * from "./envelope.ts";
export * from "./errors.ts";
export * from "./logger.ts";
export * from "./runtime/attempts.ts";
export * from "./runtime/outcome.ts";
export * from "./runtime/push.ts";
export type * from "./transport.ts";

export * from "./envelope.ts";
export * from "./errors.ts";
export * from "./transport.ts";
export * from "./codec/codec.ts";
export * from "./codec/json.ts";
export * from "./codec/attributes.ts";
export { uuidv7 } from "./ids.ts";
export * from "./runtime/outgoing.ts";

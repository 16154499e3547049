export * from "./attributes.ts";
export * from "./cloudevents.ts";
export * from "./cloudevents-names.ts";
export * from "./codec.ts";
export * from "./json.ts";
export * from "./self-contained.ts";
export * from "./wire-format.ts";

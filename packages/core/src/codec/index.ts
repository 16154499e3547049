export * from "./attributes.ts";
export * from "./codec.ts";
export * from "./json.ts";

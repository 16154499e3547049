/**
 * Preloaded with `NODE_OPTIONS=--import …`, as the OpenTelemetry Lambda layer preloads its SDK:
 * leaves the OpenTelemetry API's global registry behind, so code under test takes its traced path
 * (core then loads the API to inject trace context into what handlers publish). Tests only.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

// The API's package.json is not exported: find it from its entry (build/src/index.js).
const entry = createRequire(import.meta.url).resolve("@opentelemetry/api");
const { version } = JSON.parse(readFileSync(join(entry, "../../../package.json"), "utf8"));
globalThis[Symbol.for("opentelemetry.js.api.1")] = { version };

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { azureFunctionSettings } from "@mailroom/adapter-azure";
import { appFromHandlers } from "@mailroom/cli";
import { silentLogger } from "@mailroom/core";
import type { FunctionSpec } from "../lib/spec.ts";

/** The extension bundle that brings the storage queue and Service Bus bindings to a Node app. */
export const EXTENSION_BUNDLE = { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" };

/** Storage queue messages one instance takes at once per function (the host's default, stated). */
export const QUEUE_BATCH_SIZE = 16;

/**
 * The host.json of the artefact: the queue settings the Azure adapter derives from the handlers'
 * retry policies (`azureFunctionSettings`: maxDequeueCount = the largest maxAttempts,
 * visibilityTimeout = the base retry delay, messageEncoding), the batch size, and the extension
 * bundle that brings the queue and Service Bus bindings.
 */
export async function hostJsonFor(handlersDir: string): Promise<Record<string, unknown>> {
  const { hostJson } = azureFunctionSettings(await appFromHandlers(handlersDir, "mailroom", silentLogger));
  return {
    ...hostJson,
    extensions: {
      ...hostJson.extensions,
      queues: { batchSize: QUEUE_BATCH_SIZE, ...hostJson.extensions.queues },
    },
    extensionBundle: EXTENSION_BUNDLE,
  };
}

/**
 * The Azure Functions app: ESM for the Functions Node 20 worker, `@azure/functions` bundled with
 * it (the worker supplies only `@azure/functions-core`), host.json derived from the handlers.
 */
export const azureQueue: FunctionSpec = {
  name: "azure-queue",
  runtime: "Azure Functions v4, Node 20, storage queue / Service Bus",
  entry: new URL("./src/index.ts", import.meta.url).pathname,
  target: "node20",
  external: ["@azure/functions-core"],
  packageJson: { main: "index.mjs" },
  corePackages: ["@mailroom/core", "@mailroom/adapter-azure"],
  async addFiles(dir, { handlersDir }) {
    await writeFile(join(dir, "host.json"), `${JSON.stringify(await hostJsonFor(handlersDir), null, 2)}\n`);
  },
};

import { createRequire } from "node:module";
import { type App, ConfigError } from "@mailroom/core";
import { POISON_OUTPUT, type ToAzureFunctionOptions, toAzureFunction } from "./handler.ts";

/** The part of `@azure/functions`' `app` the registration calls (pass your own to capture or wrap it). */
export interface FunctionsRegistrar {
  storageQueue(name: string, options: Record<string, unknown>): void;
  serviceBusQueue(name: string, options: Record<string, unknown>): void;
  serviceBusTopic(name: string, options: Record<string, unknown>): void;
}

/** A Service Bus trigger to register. */
interface ServiceBusTrigger {
  /** App setting with the Service Bus connection string. */
  connection: string;
  /** `many` hands the function batches (the host settles a batch as one). Default `one`. */
  cardinality?: "one" | "many";
  /** Service Bus queue the dead letters (with their reasons) are written to. Default `<queue or topic>-poison`. */
  poisonQueue?: string;
}

/** What `registerAzureFunctions` registers: one function per queue, topic subscription or Service Bus queue. */
export interface RegisterAzureFunctionsOptions extends ToAzureFunctionOptions {
  /** Storage queues, by name or with the app setting of their connection (default `AzureWebJobsStorage`). */
  storageQueues?: Array<string | { queueName: string; connection?: string }>;
  serviceBusQueues?: Array<ServiceBusTrigger & { queueName: string }>;
  serviceBusTopics?: Array<ServiceBusTrigger & { topicName: string; subscriptionName: string }>;
  /** Where to register. Default: `app` of `@azure/functions` (a peer dependency). */
  functions?: FunctionsRegistrar;
}

/**
 * Register every handler of `app` with the Functions host in one call: one function per storage
 * queue, Service Bus queue or topic subscription, each dispatching every message to the handler
 * of its name through `toAzureFunction`. A Service Bus function gets an output binding to its
 * poison queue (named `mailroomPoison`) for dead letters with their reasons. Returns the function
 * names (`<app>-<queue>`). Call it at the top level of the module the host loads.
 *
 * @example
 * registerAzureFunctions(app, { storageQueues: ["orders"] });
 */
export function registerAzureFunctions(app: App, options: RegisterAzureFunctionsOptions): string[] {
  const {
    storageQueues = [],
    serviceBusQueues = [],
    serviceBusTopics = [],
    functions,
    ...handlerOptions
  } = options;
  if (storageQueues.length + serviceBusQueues.length + serviceBusTopics.length === 0) {
    throw new ConfigError(
      "registerAzureFunctions: name at least one of storageQueues, serviceBusQueues or serviceBusTopics",
    );
  }
  const host = functions ?? defaultRegistrar();
  const handler = toAzureFunction(app, handlerOptions);
  const names: string[] = [];
  const name = (...parts: string[]) => {
    const n = functionName(app.name, parts);
    if (names.includes(n)) throw new ConfigError(`registerAzureFunctions: "${n}" is registered twice`);
    names.push(n);
    return n;
  };
  for (const q of storageQueues) {
    const { queueName, connection = "AzureWebJobsStorage" } = typeof q === "string" ? { queueName: q } : q;
    host.storageQueue(name(queueName), { queueName, connection, handler });
  }
  for (const q of serviceBusQueues) {
    host.serviceBusQueue(name(q.queueName), {
      queueName: q.queueName,
      connection: q.connection,
      cardinality: q.cardinality ?? "one",
      extraOutputs: [poisonOutput(q.poisonQueue ?? `${q.queueName}-poison`, q.connection)],
      handler,
    });
  }
  for (const t of serviceBusTopics) {
    host.serviceBusTopic(name(t.topicName, t.subscriptionName), {
      topicName: t.topicName,
      subscriptionName: t.subscriptionName,
      connection: t.connection,
      cardinality: t.cardinality ?? "one",
      extraOutputs: [poisonOutput(t.poisonQueue ?? `${t.topicName}-poison`, t.connection)],
      handler,
    });
  }
  return names;
}

/** The Service Bus output binding dead letters are written to (as `output.serviceBusQueue` builds it, with our name). */
function poisonOutput(queueName: string, connection: string) {
  return { type: "serviceBus", name: POISON_OUTPUT, queueName, connection };
}

/** Function names: letters, digits, `-` and `_`, starting with a letter. */
function functionName(appName: string, parts: string[]): string {
  const raw = [appName, ...parts].join("-").replace(/[^A-Za-z0-9_-]+/g, "-");
  return /^[A-Za-z]/.test(raw) ? raw : `f-${raw}`;
}

function defaultRegistrar(): FunctionsRegistrar {
  try {
    return (createRequire(import.meta.url)("@azure/functions") as { app: FunctionsRegistrar }).app;
  } catch (error) {
    throw new ConfigError("registerAzureFunctions needs @azure/functions: npm install @azure/functions", {
      cause: error,
    });
  }
}

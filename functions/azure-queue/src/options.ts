import type { FunctionsRegistrar, RegisterAzureFunctionsOptions } from "@mailroom/adapter-azure";

const list = (value: string | undefined): string[] =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/**
 * What to register, from the function app's settings (environment variables), so one artefact
 * serves every deployment:
 *
 * | setting | meaning | default |
 * |---|---|---|
 * | `MAILROOM_STORAGE_QUEUES` | storage queues, comma-separated: one function each, reading through `AzureWebJobsStorage` | `orders` |
 * | `MAILROOM_SERVICE_BUS_QUEUES` | Service Bus queues, comma-separated (dead letters to `<queue>-poison`) | none |
 * | `MAILROOM_SERVICE_BUS_CONNECTION` | the app setting holding the Service Bus connection | `ServiceBus` |
 */
export function registrationFrom(
  env: NodeJS.ProcessEnv,
  functions: FunctionsRegistrar,
): RegisterAzureFunctionsOptions {
  const connection = env.MAILROOM_SERVICE_BUS_CONNECTION || "ServiceBus";
  const storageQueues =
    env.MAILROOM_STORAGE_QUEUES === undefined ? ["orders"] : list(env.MAILROOM_STORAGE_QUEUES);
  return {
    functions,
    storageQueues,
    serviceBusQueues: list(env.MAILROOM_SERVICE_BUS_QUEUES).map((queueName) => ({ queueName, connection })),
  };
}

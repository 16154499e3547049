import { SQSClient, type SQSClientConfig } from "@aws-sdk/client-sqs";
import { RequestCounter } from "./counter.ts";

/** How to build the SQS client when none is given. */
export interface ClientSettings {
  region?: string | undefined;
  /** Endpoint override (emulators, LocalStack, VPC endpoints). */
  endpoint?: string | undefined;
  /** Anything else for `new SQSClient(…)`; credentials come from the SDK's default chain unless set here. */
  clientConfig?: SQSClientConfig | undefined;
}

/**
 * A new SQS client whose every HTTP request (SDK retries included) is counted in `counter`.
 * The counter sits in the deserialize step, inside the SDK's retry loop.
 */
export function createSqsClient(
  settings: ClientSettings,
  counter: RequestCounter = new RequestCounter(),
): SQSClient {
  const config: SQSClientConfig = { ...settings.clientConfig };
  if (settings.region && !config.region) config.region = settings.region;
  if (settings.endpoint && !config.endpoint) config.endpoint = settings.endpoint;
  const client = new SQSClient(config);
  countRequests(client, counter);
  return client;
}

/** Add request counting to any SQS client (one you built yourself, too). */
export function countRequests(client: SQSClient, counter: RequestCounter): void {
  client.middlewareStack.add(
    (next, context) => (args) => {
      counter.count(context.commandName?.replace(/Command$/, "") ?? "unknown");
      return next(args);
    },
    { step: "deserialize", name: "mailroomRequestCounter", override: true },
  );
}

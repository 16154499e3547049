import type { ToLambdaOptions } from "@mailroom/adapter-sqs/lambda";

/**
 * `toLambda` options from the function's environment, so one artefact serves every stack:
 *
 * | variable | option | default |
 * |---|---|---|
 * | `MAILROOM_DLQ` | `deadLetterQueue` (name or URL) | the queue's RedrivePolicy target |
 * | `MAILROOM_PUBLISH_TO` | `publishTo` | the event's own queue |
 * | `MAILROOM_SQS_ENDPOINT` | `endpoint` (VPC endpoint, LocalStack) | the region's endpoint |
 * | `MAILROOM_CONCURRENCY` | `concurrency` | the whole batch |
 * | `MAILROOM_DEFAULT_GROUP` | `defaultGroupId` (FIFO publishes) | none |
 */
export function lambdaOptionsFrom(env: NodeJS.ProcessEnv): ToLambdaOptions {
  const options: ToLambdaOptions = {};
  if (env.MAILROOM_DLQ) options.deadLetterQueue = env.MAILROOM_DLQ;
  if (env.MAILROOM_PUBLISH_TO) options.publishTo = env.MAILROOM_PUBLISH_TO;
  if (env.MAILROOM_SQS_ENDPOINT) options.endpoint = env.MAILROOM_SQS_ENDPOINT;
  if (env.MAILROOM_DEFAULT_GROUP) options.defaultGroupId = env.MAILROOM_DEFAULT_GROUP;
  if (env.MAILROOM_CONCURRENCY) {
    const n = Number(env.MAILROOM_CONCURRENCY);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`MAILROOM_CONCURRENCY must be a whole number >= 1, got "${env.MAILROOM_CONCURRENCY}"`);
    }
    options.concurrency = n;
  }
  return options;
}

/**
 * The Lambda entry: `import { toLambda } from "@mailroom/adapter-sqs/lambda"`. It loads neither
 * the AWS SDK nor the long-poll worker at cold start; the SDK is imported on first need.
 */

export { queueUrlOf, type SqsLambdaHandler, type ToLambdaOptions, toLambda } from "./lambda.ts";
export type { LambdaContextLike, SqsBatchResponse, SqsLambdaEvent, SqsLambdaRecord } from "./lambda-event.ts";

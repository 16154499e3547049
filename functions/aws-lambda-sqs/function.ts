import type { FunctionSpec } from "../lib/spec.ts";

/**
 * The Lambda SQS function: ESM for Lambda's Node.js 22 runtime, the AWS SDK left to the
 * runtime, and the SDK-using code in chunks of its own so a cold start loads none of it.
 */
export const awsLambdaSqs: FunctionSpec = {
  name: "aws-lambda-sqs",
  runtime: "AWS Lambda nodejs24.x (or 22.x), SQS event source",
  entry: new URL("./src/index.ts", import.meta.url).pathname,
  target: "node22",
  external: ["@aws-sdk/*", "@smithy/*"],
  splitting: true,
  corePackages: ["@mailroom/core", "@mailroom/adapter-sqs"],
};

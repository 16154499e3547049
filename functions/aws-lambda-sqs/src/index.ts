/**
 * The Lambda function for an SQS event source mapping (with ReportBatchItemFailures): the
 * handlers the artefact was built from, answering `{ batchItemFailures }`. Deployed as
 * `index.handler` on Lambda's Node.js runtime, which provides the AWS SDK.
 */
import { toLambda } from "@mailroom/adapter-sqs/lambda";
import { functionApp } from "../../lib/app.ts";
import { lambdaOptionsFrom } from "./options.ts";

/** The Lambda handler: `index.handler`. */
export const handler = toLambda(functionApp(), lambdaOptionsFrom(process.env));

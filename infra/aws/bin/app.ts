/**
 * The CDK app: `npx aws-cdk deploy MailroomOrders` (standard queue) or `MailroomOrdersFifo`.
 * Run `npm run functions:build` first: the Lambda code is its artefact. Context (`-c key=value`):
 * `handlers` (default examples/handlers: the retry limits are derived from them; build the
 * function from the same directory), `code` (default functions/dist/aws-lambda-sqs), `queue`
 * (default orders).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { App } from "aws-cdk-lib";
import { EXAMPLE_HANDLERS, handlersApp } from "../../handlers-app.ts";
import { retryLimitsOf } from "../../retry-limits.ts";
import { QueueFunctionStack } from "../lib/queue-function-stack.ts";

const app = new App();
const repo = resolve(import.meta.dirname, "../../..");
const context = (key: string): string | undefined => app.node.tryGetContext(key);
const code = resolve(repo, context("code") ?? "functions/dist/aws-lambda-sqs");
if (!existsSync(code)) {
  throw new Error(`${code} does not exist: build the Lambda artefact first with \`npm run functions:build\``);
}
const limits = retryLimitsOf(
  await handlersApp(context("handlers") ? resolve(context("handlers")!) : EXAMPLE_HANDLERS),
);
const queueName = context("queue") ?? "orders";

new QueueFunctionStack(app, "MailroomOrders", { code, limits, queueName });
new QueueFunctionStack(app, "MailroomOrdersFifo", { code, limits, queueName, fifo: true, maxConcurrency: 5 });
app.synth();

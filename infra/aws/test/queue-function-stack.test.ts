import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, silentLogger } from "@mailroom/core";
import { App, Duration } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsLambdaSqs } from "../../../functions/aws-lambda-sqs/function.ts";
import { buildFunction, REPO_ROOT } from "../../../functions/lib/build-function.ts";
import { handlersApp } from "../../handlers-app.ts";
import { brokerMaxReceiveCount, type RetryLimits, retryLimitsOf } from "../../retry-limits.ts";
import { QueueFunctionStack, type QueueFunctionStackProps } from "../lib/queue-function-stack.ts";

let out: string;
let code: string;
let limits: RetryLimits;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "mailroom-cdk-"));
  // The function's code is the artefact `npm run functions:build` makes, built here the same way.
  code = (
    await buildFunction(awsLambdaSqs, { handlersDir: join(REPO_ROOT, "examples/handlers"), outDir: out })
  ).dir;
  limits = retryLimitsOf(await handlersApp());
});
afterAll(() => rm(out, { recursive: true, force: true }));

function synth(props: Partial<QueueFunctionStackProps> = {}): Template {
  const app = new App({ outdir: join(out, `cdk.out-${Math.random().toString(36).slice(2)}`) });
  const stack = new QueueFunctionStack(app, "Orders", {
    code,
    limits,
    env: { region: "eu-west-1" },
    ...props,
  });
  return Template.fromStack(stack);
}

describe("retry limits derived from the handlers", () => {
  it("the example handlers allow 5 attempts (payment_captured 3, the rest the default 5) and 100 receives", () => {
    expect(limits).toEqual({ maxAttempts: 5, maxReceives: 100 });
  });

  it("maxReceiveCount sits above them: maxAttempts + 5 on standard queues, the receive limit + 10 on FIFO, at most 1,000", () => {
    expect(brokerMaxReceiveCount(limits, { fifo: false })).toBe(10);
    expect(brokerMaxReceiveCount(limits, { fifo: true })).toBe(110);
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("slow", { retry: { maxAttempts: 12, maxReceives: 995 } }, () => {});
    expect(retryLimitsOf(app)).toEqual({ maxAttempts: 12, maxReceives: 995 });
    expect(brokerMaxReceiveCount(retryLimitsOf(app), { fifo: false })).toBe(17);
    expect(brokerMaxReceiveCount(retryLimitsOf(app), { fifo: true })).toBe(1000);
  });
});

describe("infra/aws QueueFunctionStack (standard queue)", () => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  });

  it("the queue's RedrivePolicy points at its dead-letter queue with the derived maxReceiveCount, and its visibility timeout is 6× the function's", () => {
    template.resourceCountIs("AWS::SQS::Queue", 2);
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "orders",
      VisibilityTimeout: 180,
      RedrivePolicy: {
        deadLetterTargetArn: { "Fn::GetAtt": [Match.stringLikeRegexp("DeadLetterQueue"), "Arn"] },
        maxReceiveCount: 10,
      },
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "orders-dlq",
      MessageRetentionPeriod: 1209600,
    });
  });

  it("the function is the built artefact's index.handler on Node.js 24, told its dead-letter queue", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "index.handler",
      Runtime: "nodejs24.x",
      Timeout: 30,
      Environment: {
        Variables: {
          MAILROOM_APP_NAME: "orders",
          MAILROOM_DLQ: { Ref: Match.stringLikeRegexp("DeadLetterQueue") },
        },
      },
    });
  });

  it("the event source mapping reports batch item failures, with batch size, batching window and maximum concurrency", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": [Match.stringLikeRegexp("^Queue"), "Arn"] },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it("the role may change visibility and send on the queue, and send to the dead-letter queue", () => {
    const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
      (p) =>
        (
          p as {
            Properties: {
              PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
            };
          }
        ).Properties.PolicyDocument.Statement,
    );
    const allowed = (action: string, logicalId: RegExp) =>
      statements.some(
        (s) => [s.Action].flat().includes(action) && logicalId.test(JSON.stringify(s.Resource)),
      );
    expect(allowed("sqs:ChangeMessageVisibility", /"Queue[0-9A-F]{8}"/)).toBe(true);
    expect(allowed("sqs:SendMessage", /"Queue[0-9A-F]{8}"/)).toBe(true);
    expect(allowed("sqs:SendMessage", /DeadLetterQueue/)).toBe(true);
    expect(allowed("sqs:GetQueueUrl", /DeadLetterQueue/)).toBe(true);
  });

  it("an alarm sounds on the first dead letter", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ApproximateNumberOfMessagesVisible",
      Namespace: "AWS/SQS",
      Dimensions: [
        {
          Name: "QueueName",
          Value: { "Fn::GetAtt": [Match.stringLikeRegexp("DeadLetterQueue"), "QueueName"] },
        },
      ],
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
    });
  });
});

describe("infra/aws QueueFunctionStack (FIFO variant)", () => {
  it("both queues are FIFO, maxReceiveCount is above the receive limit, and the mapping has no batching window", () => {
    const template = synth({ fifo: true, timeout: Duration.seconds(60), maxConcurrency: 5 });
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "orders.fifo",
      FifoQueue: true,
      VisibilityTimeout: 360,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 110 }),
    });
    template.hasResourceProperties("AWS::SQS::Queue", { QueueName: "orders-dlq.fifo", FifoQueue: true });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      MaximumBatchingWindowInSeconds: Match.absent(),
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });
});

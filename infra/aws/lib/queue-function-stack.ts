import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Architecture, Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { brokerMaxReceiveCount, type RetryLimits } from "../../retry-limits.ts";

/** Lambda's guidance: a queue's visibility timeout at least six times the function's timeout. */
export const VISIBILITY_PER_FUNCTION_TIMEOUT = 6;

/** What one queue + function stack is made of. Every setting but `code` and `limits` has a default. */
export interface QueueFunctionStackProps extends StackProps {
  /** The built Lambda artefact: `functions/dist/aws-lambda-sqs` (`npm run functions:build`). */
  code: string;
  /** The handlers' retry limits (`retryLimitsOf(app)`): the RedrivePolicy's maxReceiveCount is derived from them. */
  limits: RetryLimits;
  /** Queue name; a FIFO stack appends `.fifo`. Default `orders`. */
  queueName?: string;
  /** A FIFO queue and dead-letter queue (records of a group run in order). Default false. */
  fifo?: boolean;
  /** The function's timeout. Default 30 s; the queue's visibility timeout is 6× this. */
  timeout?: Duration;
  /** Memory, MB. Default 512. */
  memorySize?: number;
  /** Records per invocation. Default 10 (the most a FIFO queue allows; standard queues up to 10,000 with a batching window). */
  batchSize?: number;
  /** How long Lambda gathers records before invoking (standard queues only). Default 1 s. */
  maxBatchingWindow?: Duration;
  /** Most concurrent invocations this event source starts (2–1,000). Default 10. */
  maxConcurrency?: number;
  /** Dead letters waiting that sound the alarm. Default 1. */
  deadLetterAlarmThreshold?: number;
  /** The app's name in logs and metrics (`MAILROOM_APP_NAME`). Default the queue name. */
  appName?: string;
}

/**
 * An SQS queue with its dead-letter queue, the Mailroom Lambda function reading it through an
 * event source mapping with ReportBatchItemFailures, and an alarm on dead letters. The
 * RedrivePolicy's maxReceiveCount sits above what the handlers allow (`brokerMaxReceiveCount`),
 * so Mailroom dead-letters with a reason and SQS only catches what Mailroom never settled.
 *
 * @example
 * new QueueFunctionStack(app, "Orders", { code: "functions/dist/aws-lambda-sqs", limits: retryLimitsOf(handlers) });
 */
export class QueueFunctionStack extends Stack {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: LambdaFunction;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: QueueFunctionStackProps) {
    super(scope, id, props);
    const fifo = props.fifo ?? false;
    const base = props.queueName ?? "orders";
    const suffix = fifo ? ".fifo" : "";
    const timeout = props.timeout ?? Duration.seconds(30);

    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      queueName: `${base}-dlq${suffix}`,
      fifo: fifo || undefined,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, "Queue", {
      queueName: `${base}${suffix}`,
      fifo: fifo || undefined,
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * VISIBILITY_PER_FUNCTION_TIMEOUT),
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: brokerMaxReceiveCount(props.limits, { fifo }),
      },
    });

    this.function = new LambdaFunction(this, "Function", {
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      handler: "index.handler",
      code: Code.fromAsset(props.code),
      timeout,
      memorySize: props.memorySize ?? 512,
      environment: {
        MAILROOM_APP_NAME: props.appName ?? base,
        // Saves the GetQueueAttributes that would find the RedrivePolicy target.
        MAILROOM_DLQ: this.deadLetterQueue.queueUrl,
      },
    });
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 10,
        maxBatchingWindow: fifo ? undefined : (props.maxBatchingWindow ?? Duration.seconds(1)),
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );
    // Beyond what the event source grants: re-sent copies and follow-ups go to the queue, dead
    // letters to the dead-letter queue (adapter-sqs README, IAM permissions).
    this.queue.grantSendMessages(this.function);
    this.deadLetterQueue.grantSendMessages(this.function);
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ["sqs:GetQueueUrl"], resources: [this.deadLetterQueue.queueArn] }),
    );

    this.deadLetterAlarm = new Alarm(this, "DeadLetterAlarm", {
      alarmDescription: `Messages are waiting in ${base}-dlq${suffix}: \`mailroom dlq list\` shows each with its reason`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: "Maximum",
      }),
      threshold: props.deadLetterAlarmThreshold ?? 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    new CfnOutput(this, "QueueUrl", { value: this.queue.queueUrl });
    new CfnOutput(this, "DeadLetterQueueUrl", { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, "FunctionName", { value: this.function.functionName });
  }
}

/**
 * The SQS event Lambda delivers (the documented shape; structurally the same as
 * `SQSEvent` of @types/aws-lambda, declared here so users need no extra type package).
 */
export interface SqsLambdaEvent {
  Records: SqsLambdaRecord[];
}

/** One record of an SQS event. */
export interface SqsLambdaRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    MessageGroupId?: string | undefined;
  };
  messageAttributes: Record<
    string,
    { stringValue?: string | undefined; binaryValue?: string | undefined; dataType: string }
  >;
  md5OfBody?: string;
  eventSource: string;
  /** `arn:aws:sqs:<region>:<account>:<queue>` */
  eventSourceARN: string;
  awsRegion: string;
}

/** The answer Lambda expects when the event source mapping has ReportBatchItemFailures on. */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** The part of the Lambda context Mailroom uses (to abort handlers before the function times out). */
export interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

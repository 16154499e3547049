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

const RECORD_STRINGS = ["messageId", "receiptHandle", "body", "eventSourceARN", "awsRegion"] as const;

/**
 * What is wrong with `event` as an SQS event, or undefined when it is one: a `Records` array of
 * records carrying the fields `toLambda` reads. Lambda always sends them; a function wired to
 * another trigger, or a hand-made test event, may not.
 */
export function notAnSqsEvent(event: unknown): string | undefined {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(records)) return "it has no Records array";
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as Record<string, unknown> | null;
    if (typeof record !== "object" || record === null) return `record ${i} is not an object`;
    for (const field of RECORD_STRINGS) {
      if (typeof record[field] !== "string") return `record ${i} has no string "${field}"`;
    }
    if (typeof record.attributes !== "object" || record.attributes === null) {
      return `record ${i} has no "attributes"`;
    }
    const attributes = record.messageAttributes;
    if (attributes !== undefined && (typeof attributes !== "object" || attributes === null)) {
      return `record ${i} has "messageAttributes" that are not an object`;
    }
  }
  return undefined;
}

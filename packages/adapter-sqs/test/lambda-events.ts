import { type Message, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { Emulator } from "./helpers.ts";

/** A received message shaped exactly as Lambda's event source mapping hands it to the function. */
export function toRecord(m: Message, queue: string): SQSRecord {
  const attributes = m.Attributes as unknown as SQSRecord["attributes"];
  const messageAttributes: SQSRecord["messageAttributes"] = {};
  for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) {
    messageAttributes[k] = {
      stringValue: v.StringValue,
      stringListValues: [],
      binaryListValues: [],
      dataType: v.DataType!,
    };
  }
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body!,
    attributes,
    messageAttributes,
    md5OfBody: m.MD5OfBody!,
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
    awsRegion: "us-east-1",
  };
}

/** Receive `count` real messages of `queue` and make them one Lambda event. */
export async function eventFrom(emu: Emulator, queue: string, count: number): Promise<SQSEvent> {
  const { url } = emu.createQueue(queue);
  const records: SQSRecord[] = [];
  while (records.length < count) {
    const out = await emu.client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    for (const m of out.Messages ?? []) records.push(toRecord(m, queue));
  }
  return { Records: records };
}

/** One record of a FIFO event to build: its key (also its body's data), group and receive count. */
export interface FifoRecordSpec {
  key: string;
  group: string;
  name?: string;
  /** ApproximateReceiveCount the event says. Default: the real one (1). */
  receiveCount?: number;
  /** Message attributes (String) the producer set, e.g. `not-before`. */
  attributes?: Record<string, string>;
  /** SentTimestamp the event says (ms). Default: the real one. */
  sentAt?: number;
}

/**
 * A Lambda FIFO event whose records are real messages of a FIFO queue in fauxqs, in `specs`
 * order, so every visibility change the adapter makes is a real request on a real receipt handle.
 * fauxqs hands out one message per group at a time (SQS hands a Lambda poller several), so each
 * message is sent in a group of its own and the event states the group `spec.group`; the event
 * may also state a receive count and send time, as SQS would after earlier receives.
 */
export async function fifoEvent(emu: Emulator, queue: string, specs: FifoRecordSpec[]): Promise<SQSEvent> {
  const { url } = emu.createQueue(queue, { fifo: true });
  const ids = new Map<string, FifoRecordSpec>();
  for (const spec of specs) {
    const sent = await emu.client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify({ name: spec.name ?? "step", data: spec.key }),
        MessageGroupId: `${spec.group}-${spec.key}`,
        MessageDeduplicationId: `${spec.key}-${crypto.randomUUID()}`,
        MessageAttributes: Object.fromEntries(
          Object.entries(spec.attributes ?? {}).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
        ),
      }),
    );
    ids.set(sent.MessageId!, spec);
  }
  const received = await eventFrom(emu, queue, specs.length);
  const records = received.Records.map((r) => {
    const spec = ids.get(r.messageId)!;
    const attributes = {
      ...r.attributes,
      MessageGroupId: spec.group,
      ApproximateReceiveCount: String(spec.receiveCount ?? r.attributes.ApproximateReceiveCount),
      SentTimestamp: spec.sentAt === undefined ? r.attributes.SentTimestamp : String(spec.sentAt),
    };
    return { spec, record: { ...r, attributes } };
  });
  records.sort((a, b) => specs.indexOf(a.spec) - specs.indexOf(b.spec));
  return { Records: records.map((r) => r.record) };
}

/** The message id of the record whose key is `key`. */
export function idOf(event: SQSEvent, key: string): string {
  const r = event.Records.find((r) => JSON.parse(r.body).data === key);
  if (!r) throw new Error(`no record ${key}`);
  return r.messageId;
}

import { ConfigError } from "@mailroom/core/push";

/** Which trigger delivered a message. */
export type FcTriggerKind = "queue" | "topic" | "stream";

/** One message as an FC trigger delivered it, before decoding. */
export interface FcMessage {
  kind: FcTriggerKind;
  /** The MNS message id (CloudEvent `data.messageId`, topic `MessageId`); absent for STREAM. */
  messageId: string | undefined;
  /** The body text: base64 (Mailroom's producers, trigger decoding off) or plain. */
  body: string;
  /** Queue name (from the CloudEvent `subject`) or topic name; undefined for STREAM. */
  source: string | undefined;
  /** `acs:mns:<region>:<accountId>:queues/<name>` parts, when the CloudEvent carried them. */
  region?: string | undefined;
  accountId?: string | undefined;
  publishedAt: Date | undefined;
  /** The trigger's own record (CloudEvent, topic notification, or the raw text). */
  raw: unknown;
}

/** The CloudEvent EventBridge delivers for an MNS queue trigger. */
export interface MnsQueueCloudEvent {
  id: string;
  specversion: string;
  source?: string;
  type: string;
  subject?: string;
  time?: string;
  aliyunaccountid?: string;
  aliyunregionid?: string;
  data: { requestId?: string; messageId?: string; messageBody: string };
}

/** The JSON-format notification of an MNS topic trigger. */
export interface MnsTopicNotification {
  TopicOwner: string;
  TopicName: string;
  Subscriber: string;
  SubscriptionName: string;
  MessageId: string;
  MessageMD5: string;
  Message: string;
  PublishTime: number | string;
  MessageTag?: string;
}

const SUBJECT = /^acs:mns:([^:]*):([^:]*):queues\/(.+)$/;

/**
 * Read an FC event (a Buffer or string) into messages:
 * - the MNS queue trigger through EventBridge: one CloudEvent or an array of them,
 *   `type: "mns:Queue:SendMessage"`, body in `data.messageBody`; or, with the trigger's push
 *   format "RawData", the `data` objects alone (`{ requestId, messageId, messageBody }`), which
 *   do not name the queue;
 * - the MNS topic trigger in JSON format (`{ TopicOwner, TopicName, …, Message }`);
 * - anything else is the topic trigger's STREAM format: the whole event is one raw body.
 */
export function readFcEvent(event: unknown): FcMessage[] {
  const text =
    typeof event === "string" ? event : Buffer.isBuffer(event) ? event.toString("utf8") : undefined;
  const value: unknown = text === undefined ? event : tryJson(text);
  if (Array.isArray(value) && value.length > 0 && value.every(isQueueEvent)) return value.map(fromCloudEvent);
  if (isQueueEvent(value)) return [fromCloudEvent(value)];
  if (Array.isArray(value) && value.length > 0 && value.every(isRawData)) return value.map(fromRawData);
  if (isRawData(value)) return [fromRawData(value)];
  if (isTopicNotification(value)) return [fromTopic(value)];
  if (text === undefined) {
    throw new ConfigError(
      "toAliyunFC got an event that is neither a Buffer nor a string nor an MNS trigger event; check the trigger type",
    );
  }
  return [
    {
      kind: "stream",
      messageId: undefined,
      body: text,
      source: undefined,
      publishedAt: undefined,
      raw: text,
    },
  ];
}

/** The last subject read: the events of one batch share it (one queue per trigger). */
let lastSubject: { text: string; match: RegExpExecArray | null } = { text: "", match: null };

function subjectOf(subject: string): RegExpExecArray | null {
  if (subject !== lastSubject.text) lastSubject = { text: subject, match: SUBJECT.exec(subject) };
  return lastSubject.match;
}

function fromCloudEvent(e: MnsQueueCloudEvent): FcMessage {
  const m = subjectOf(e.subject ?? "");
  const time = e.time ? new Date(e.time) : undefined;
  return {
    kind: "queue",
    messageId: e.data.messageId,
    body: e.data.messageBody,
    source: m?.[3],
    region: m?.[1] || e.aliyunregionid,
    accountId: m?.[2] || e.aliyunaccountid,
    publishedAt: time && !Number.isNaN(time.getTime()) ? time : undefined,
    raw: e,
  };
}

function fromRawData(d: MnsQueueCloudEvent["data"]): FcMessage {
  return {
    kind: "queue",
    messageId: d.messageId,
    body: d.messageBody,
    source: undefined,
    publishedAt: undefined,
    raw: d,
  };
}

function fromTopic(n: MnsTopicNotification): FcMessage {
  const t = new Date(Number(n.PublishTime));
  return {
    kind: "topic",
    messageId: n.MessageId,
    body: n.Message,
    source: n.TopicName,
    accountId: n.TopicOwner,
    publishedAt: Number.isNaN(t.getTime()) ? undefined : t,
    raw: n,
  };
}

function isQueueEvent(v: unknown): v is MnsQueueCloudEvent {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Partial<MnsQueueCloudEvent>;
  return (
    typeof e.type === "string" &&
    e.type.startsWith("mns:Queue:") &&
    typeof e.data === "object" &&
    e.data !== null &&
    typeof e.data.messageBody === "string"
  );
}

function isRawData(v: unknown): v is MnsQueueCloudEvent["data"] {
  if (typeof v !== "object" || v === null) return false;
  const d = v as Partial<MnsQueueCloudEvent["data"]>;
  return typeof d.messageBody === "string" && typeof d.messageId === "string" && !("specversion" in d);
}

function isTopicNotification(v: unknown): v is MnsTopicNotification {
  if (typeof v !== "object" || v === null) return false;
  const n = v as Partial<MnsTopicNotification>;
  return typeof n.TopicOwner === "string" && typeof n.Message === "string" && typeof n.MessageId === "string";
}

function tryJson(text: string): unknown {
  // The first character that is not white space, without copying the text (events can be large).
  const start = text[text.search(/\S/)];
  if (start !== "{" && start !== "[") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

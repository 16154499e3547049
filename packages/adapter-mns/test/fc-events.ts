import { jsonCodec } from "@mailroom/core";
import { openTransport } from "../src/index.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import { transportUrl } from "./helpers.ts";

/** A body as Mailroom's publisher writes it (metadata embedded), as text. */
export function mailroomBody(name: string, data: unknown, headers: Record<string, string> = {}): string {
  return new TextDecoder().decode(
    jsonCodec({ embedMeta: true }).encode({ id: `id-${name}`, name, data, publishedAt: new Date(), headers })
      .body,
  );
}

/** Base64 of a text body (the queue trigger with its "decode base64" switch off). */
export const b64 = (text: string): string => Buffer.from(text).toString("base64");

/** The CloudEvent EventBridge delivers for an MNS queue trigger; `n` makes the ids. */
export function queueEvent(s: MnsTestServer, queue: string, messageBody: string, n: number | string = 0) {
  return {
    id: `evt-${n}`,
    source: "MNS-Function-mnstrigger",
    specversion: "1.0",
    type: "mns:Queue:SendMessage",
    datacontenttype: "application/json; charset=utf-8",
    subject: `acs:mns:cn-hangzhou:${s.accountId}:queues/${queue}`,
    time: "2026-11-23T06:28:17.093Z",
    aliyunaccountid: s.accountId,
    aliyunregionid: "cn-hangzhou",
    data: { requestId: `req-${n}`, messageId: `msg-${n}`, messageBody },
  };
}

let topicIds = 0;
/** An MNS topic trigger notification in JSON format, with a fresh MessageId unless one is given. */
export function topicNotification(s: MnsTestServer, message: string, messageId?: string) {
  return {
    TopicOwner: s.accountId,
    TopicName: "events",
    Subscriber: s.accountId,
    SubscriptionName: "fc-sub",
    MessageId: messageId ?? `2F5B3C082B923D4EAC696B7A${(topicIds++).toString(16).padStart(8, "0")}`,
    MessageMD5: "BA4BA9B48AC81F0F9C66F6C909C39DBB",
    Message: message,
    PublishTime: 1550216302888,
  };
}

/** Endpoint and credentials of the test server, as `toAliyunFC` options. */
export function fcKeys(s: MnsTestServer) {
  return {
    endpoint: s.endpoint,
    accessKeyId: s.credentials[0]!.accessKeyId,
    accessKeySecret: s.credentials[0]!.accessKeySecret,
  };
}

/** The dead letters of `queue` (from `<queue>-dlq`, or `dlq`). */
export async function deadLettersOf(s: MnsTestServer, queue: string, dlq?: string) {
  const t = await openTransport(
    transportUrl(s, queue, `visibility=30s${dlq ? `&dlq=${dlq}` : ""}`),
    fcKeys(s),
  );
  return t.admin().listDeadLetters({ limit: 16 });
}

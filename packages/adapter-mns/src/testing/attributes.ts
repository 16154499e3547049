import { errors } from "./protocol-error.ts";
import { DEFAULT_ATTRIBUTES, type QueueAttributes, type ServerQueue } from "./queue.ts";
import { child, childText, type XmlElement, type XmlFields } from "./xml.ts";

/** Read an integer field in `[min, max]`, or `fallback` when absent; `InvalidArgument` otherwise. */
export function intField(
  text: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw errors.invalidArgument(`${name} should be an integer between ${min} and ${max}, got "${text}".`);
  }
  return n;
}

/** Queue attributes from a `<Queue>` document, on top of `base` (defaults for CreateQueue, current for SetQueueAttributes). */
export function parseAttributes(
  el: XmlElement | undefined,
  base: QueueAttributes = DEFAULT_ATTRIBUTES,
): QueueAttributes {
  if (!el) return { ...base };
  const t = (name: string) => childText(el, name);
  const logging = t("LoggingEnabled");
  const out: QueueAttributes = {
    delaySeconds: intField(t("DelaySeconds"), "DelaySeconds", 0, 604_800, base.delaySeconds),
    maximumMessageSize: intField(
      t("MaximumMessageSize"),
      "MaximumMessageSize",
      1024,
      65_536,
      base.maximumMessageSize,
    ),
    messageRetentionPeriod: intField(
      t("MessageRetentionPeriod"),
      "MessageRetentionPeriod",
      60,
      604_800,
      base.messageRetentionPeriod,
    ),
    visibilityTimeout: intField(
      t("VisibilityTimeout"),
      "VisibilityTimeout",
      1,
      43_200,
      base.visibilityTimeout,
    ),
    pollingWaitSeconds: intField(
      t("PollingWaitSeconds"),
      "PollingWaitSeconds",
      0,
      30,
      base.pollingWaitSeconds,
    ),
    loggingEnabled: logging === undefined ? base.loggingEnabled : /^true$/i.test(logging),
    dlqPolicy: base.dlqPolicy,
  };
  const dlq = child(el, "DlqPolicy");
  if (dlq) {
    const target = childText(dlq, "DeadLetterTargetQueue") ?? "";
    const enabled = !/^false$/i.test(childText(dlq, "Enabled") ?? "true");
    if (enabled && !target) throw errors.invalidArgument("DlqPolicy needs a DeadLetterTargetQueue.");
    out.dlqPolicy = {
      enabled,
      deadLetterTargetQueue: target,
      maxReceiveCount: intField(childText(dlq, "MaxReceiveCount"), "MaxReceiveCount", 1, 1000, 3),
    };
  }
  return out;
}

/** Same settings (CreateQueue on an existing queue succeeds only then). */
export function sameAttributes(a: QueueAttributes, b: QueueAttributes): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The `<Queue>` fields GetQueueAttributes answers. */
export function attributesXml(q: ServerQueue): XmlFields {
  const a = q.attributes;
  const c = q.counts();
  return {
    QueueName: q.name,
    CreateTime: Math.floor(q.createTime / 1000),
    LastModifyTime: Math.floor(q.lastModifyTime / 1000),
    DelaySeconds: a.delaySeconds,
    MaximumMessageSize: a.maximumMessageSize,
    MessageRetentionPeriod: a.messageRetentionPeriod,
    VisibilityTimeout: a.visibilityTimeout,
    PollingWaitSeconds: a.pollingWaitSeconds,
    ActiveMessages: c.active,
    InactiveMessages: c.inactive,
    DelayMessages: c.delayed,
    LoggingEnabled: a.loggingEnabled ? "True" : "False",
    DlqPolicy: a.dlqPolicy
      ? {
          Enabled: a.dlqPolicy.enabled,
          DeadLetterTargetQueue: a.dlqPolicy.deadLetterTargetQueue,
          MaxReceiveCount: a.dlqPolicy.maxReceiveCount,
        }
      : undefined,
  };
}

import type { MessageMeta } from "@mailroom/core";
import { attributesToMeta } from "@mailroom/core/transport";

/** The part of `@azure/functions`' `InvocationContext` the handlers read (so tests and hosts may pass their own). */
export interface FunctionInvocation {
  readonly invocationId?: string;
  readonly functionName?: string;
  readonly triggerMetadata?: Record<string, unknown> | undefined;
  readonly options: {
    readonly trigger: Record<string, unknown> & { type: string; name?: string };
    readonly extraOutputs?: ReadonlyArray<Record<string, unknown> & { type: string; name: string }>;
  };
  readonly extraOutputs: {
    set(output: Record<string, unknown> & { type: string; name: string }, value: unknown): void;
  };
}

/** Which trigger pushed the messages. */
export type FunctionTriggerKind = "storageQueue" | "serviceBus";

/** One message a Functions trigger pushed, read from the handler's argument and `context.triggerMetadata`. */
export interface FunctionMessage {
  readonly kind: FunctionTriggerKind;
  /** The message as the host handed it over: bytes of its body. */
  readonly body: Uint8Array;
  /** Storage: `id`; Service Bus: `messageId`. */
  readonly messageId: string | undefined;
  /** Storage: `dequeueCount`; Service Bus: `deliveryCount`. 1 on first delivery. */
  readonly receiveCount: number;
  /** Storage: `insertionTime`; Service Bus: `enqueuedTimeUtc`. */
  readonly publishedAt: Date | undefined;
  /** What the transport carried beside the body (Service Bus application properties, correlation id). */
  readonly meta: MessageMeta;
  /** Storage queue or Service Bus entity the trigger listens on (`queueName`, or `topicName/subscriptionName`). */
  readonly source: string;
  /** The host's own metadata of this message, untouched. */
  readonly raw: Record<string, unknown>;
}

/**
 * The messages of one invocation. Storage queue triggers pass one message (`dequeueCount`, `id`,
 * `popReceipt`, `insertionTime` in the metadata); Service Bus triggers one (`deliveryCount`,
 * `messageId`, `enqueuedTimeUtc`, `applicationProperties`) or, with `cardinality: "many"`, an
 * array with the `…Array` forms of the same metadata. The host hands a JSON body over parsed, a
 * text body as a string and binary as a Buffer; each is turned back into bytes here.
 */
export function readInvocation(entry: unknown, context: FunctionInvocation): FunctionMessage[] {
  const trigger = context.options.trigger;
  const meta = context.triggerMetadata ?? {};
  if (trigger.type === "queueTrigger") {
    return [
      {
        kind: "storageQueue",
        body: toBytes(entry),
        messageId: text(meta.id),
        receiveCount: count(meta.dequeueCount),
        publishedAt: date(meta.insertionTime),
        meta: { headers: {} },
        source: appSetting(trigger.queueName),
        raw: meta,
      },
    ];
  }
  if (trigger.type !== "serviceBusTrigger") {
    throw new TypeError(
      `toAzureFunction handles storage queue and Service Bus triggers, not "${trigger.type}"`,
    );
  }
  const source = trigger.queueName
    ? appSetting(trigger.queueName)
    : `${appSetting(trigger.topicName)}/${appSetting(trigger.subscriptionName)}`;
  if (trigger.cardinality !== "many") return [serviceBusMessage(entry, meta, source, (key) => meta[key])];
  const entries = Array.isArray(entry) ? entry : [entry];
  return entries.map((item, i) =>
    serviceBusMessage(item, meta, source, (key) => {
      const list = meta[`${key}Array`];
      return Array.isArray(list) ? list[i] : undefined;
    }),
  );
}

function serviceBusMessage(
  entry: unknown,
  all: Record<string, unknown>,
  source: string,
  field: (key: string) => unknown,
): FunctionMessage {
  const properties = field("applicationProperties") ?? field("userProperties");
  const attributes: Record<string, string> = {};
  if (properties && typeof properties === "object") {
    for (const [k, v] of Object.entries(properties))
      if (v !== undefined && v !== null) attributes[k] = String(v);
  }
  const meta = attributesToMeta(attributes);
  const correlationId = text(field("correlationId"));
  if (correlationId && !meta.correlationId) meta.correlationId = correlationId;
  return {
    kind: "serviceBus",
    body: toBytes(entry),
    messageId: text(field("messageId")),
    receiveCount: count(field("deliveryCount")),
    publishedAt: date(field("enqueuedTimeUtc")),
    meta,
    source,
    raw: all,
  };
}

/** Bytes of what the host handed over: a Buffer as is, a string as UTF-8, anything parsed back to JSON. */
export function toBytes(entry: unknown): Uint8Array {
  if (entry instanceof Uint8Array) return entry;
  if (typeof entry === "string") return Buffer.from(entry, "utf8");
  return Buffer.from(JSON.stringify(entry ?? null), "utf8");
}

function text(value: unknown): string | undefined {
  return value === undefined || value === null || value === "" ? undefined : String(value);
}

function count(value: unknown): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

function date(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const d = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A binding value, with a `%NAME%` binding expression resolved from the app settings (environment) as the host does. */
export function appSetting(value: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const text = String(value ?? "");
  const m = /^%([^%]+)%$/.exec(text);
  return m ? (env[m[1]!] ?? text) : text;
}

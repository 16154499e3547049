import { type App, Headers, type Registration } from "@mailroom/core";
import { type JsonSchema, rebaseRefs, toJsonSchema } from "./json-schema.ts";
import type { ChannelTarget } from "./target.ts";

/** What the document says about itself and where the app consumes. */
export interface AsyncApiDocumentOptions {
  /** `info.title`. Default `Mailroom handlers`. */
  title?: string | undefined;
  /** `info.version`: the version of the described API. Default `1.0.0`. */
  version?: string | undefined;
  /** The queue (and broker) the handlers consume from. */
  target: ChannelTarget;
  /** Where the handlers' own schema libraries are installed (their directory), for converters found there. */
  resolveFrom: string;
}

/** An AsyncAPI 3.0.0 document, as plain JSON. */
export type AsyncApiDocument = Record<string, unknown>;

const HEADERS_SCHEMA = "MailroomHeaders";

/**
 * The AsyncAPI 3.0.0 document of an app's handlers: per handler a channel (named by its message
 * name), a `receive` operation and a message whose `payload` is the JSON Schema of the handler's
 * schema and whose `headers` are Mailroom's metadata. Aliases are listed on the message
 * (`x-mailroom-aliases`); batch handlers are marked on their operation (`x-mailroom-handler`).
 */
export function asyncApiDocument(app: App, options: AsyncApiDocumentOptions): AsyncApiDocument {
  const { target } = options;
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const keys = new Set<string>();
  for (const name of app.handlerNames().sort()) {
    const registration = app.lookup(name)!;
    const aliases = app.names().filter((n) => n !== name && app.lookup(n) === registration);
    const key = uniqueKey(name, keys);
    messages[key] = message(registration, aliases, key, options.resolveFrom);
    channels[key] = channel(name, aliases, key, target);
    operations[`receive_${key}`] = operation(registration, key);
  }
  return {
    asyncapi: "3.0.0",
    info: {
      title: options.title ?? "Mailroom handlers",
      version: options.version ?? "1.0.0",
      description: `The messages these Mailroom handlers consume from the ${target.kind} ${target.kind.startsWith("redis") ? "stream" : "queue"} "${target.queue}". A JSON body is \`{ "name": <message name>, "data": <payload> }\`; the name may instead travel as the transport's message type, and the headers as its message attributes.`,
    },
    ...(target.server ? { servers: { [target.kind.replace(/[^A-Za-z0-9_.-]/g, "_")]: target.server } } : {}),
    defaultContentType: "application/json",
    channels,
    operations,
    components: { messages, schemas: { [HEADERS_SCHEMA]: headersSchema() } },
  };
}

function message(registration: Registration, aliases: string[], key: string, resolveFrom: string) {
  const payload = rebaseRefs(
    toJsonSchema(registration.schema, resolveFrom),
    `#/components/messages/${key}/payload`,
  );
  const also =
    aliases.length > 0 ? ` Also accepted under the names ${aliases.map((a) => `"${a}"`).join(", ")}.` : "";
  return {
    name: registration.name,
    title: registration.name,
    summary: `A "${registration.name}" message.${also}`,
    contentType: "application/json",
    headers: { $ref: `#/components/schemas/${HEADERS_SCHEMA}` },
    payload: payload satisfies JsonSchema,
    ...(aliases.length > 0 ? { "x-mailroom-aliases": aliases } : {}),
  };
}

function channel(name: string, aliases: string[], key: string, target: ChannelTarget) {
  const routed = target.exchange !== undefined;
  const bindings =
    target.kind === "amqp" || target.kind === "amqps"
      ? {
          amqp: routed
            ? {
                is: "routingKey",
                exchange: {
                  name: target.exchange!.name,
                  type: amqpExchangeType(target.exchange!.type),
                  vhost: target.vhost,
                },
                bindingVersion: "0.3.0",
              }
            : { is: "queue", queue: { name: target.queue, vhost: target.vhost }, bindingVersion: "0.3.0" },
        }
      : undefined;
  const where = routed
    ? `published to the exchange "${target.exchange!.name}" with the routing key "${name}"${aliases.length > 0 ? ` (or an alias)` : ""}, bound to the queue "${target.queue}"`
    : `on the queue "${target.queue}", beside the other message names`;
  return {
    address: routed ? name : target.queue,
    title: name,
    description: `"${name}" messages, ${where}.`,
    messages: { [key]: { $ref: `#/components/messages/${key}` } },
    ...(bindings ? { bindings } : {}),
  };
}

function operation(registration: Registration, key: string) {
  const batch = registration.mode === "batch";
  return {
    action: "receive",
    channel: { $ref: `#/channels/${key}` },
    messages: [{ $ref: `#/channels/${key}/messages/${key}` }],
    title: `Handle ${registration.name}`,
    summary: batch
      ? `A batch handler: up to ${registration.maxSize} "${registration.name}" messages per call, gathered for up to ${registration.maxWaitMs} ms.`
      : `The handler of "${registration.name}": one message per call.`,
    "x-mailroom-handler": {
      mode: registration.mode,
      ...(batch ? { maxSize: registration.maxSize, maxWaitMs: registration.maxWaitMs } : {}),
      maxAttempts: registration.retry.maxAttempts,
      ...(registration.timeoutMs !== undefined ? { timeoutMs: registration.timeoutMs } : {}),
    },
  };
}

/** The metadata every Mailroom message may carry beside its data, as transports carry it. */
function headersSchema(): JsonSchema {
  const text = (description: string) => ({ type: "string", description });
  const time = (description: string) => ({ type: "string", format: "date-time", description });
  return {
    type: "object",
    description:
      "Mailroom's message metadata: message attributes, AMQP properties and headers, CloudEvents extensions, or the JSON body's `meta` where the transport has no attributes. Other string headers are the producer's own.",
    properties: {
      id: text("Unique message id: a UUID v7 when Mailroom published it, else the transport's id."),
      name: text(
        "The message name (or one of its aliases), where the transport carries it apart from the body.",
      ),
      publishedAt: time("When the message was first published."),
      parentId: text("The id of the message whose handler sent this one as a follow-up (`ctx.forward`)."),
      correlationId: text("The id shared by every message of one conversation (the first message's id)."),
      replyTo: text("Where a reply to this request goes."),
      [Headers.traceparent]: text("W3C trace context of the producer."),
      [Headers.tracestate]: text("W3C trace state of the producer."),
      [Headers.notBefore]: time("Time before which the handler must not run."),
      [Headers.attempt]: { type: "string", pattern: "^[0-9]+$", description: "Handler runs so far." },
      [Headers.groupId]: text("FIFO message group, where the transport has groups."),
      [Headers.deadLetterReason]: text("Why the message was dead-lettered."),
      [Headers.deadLetteredAt]: time("When the message was dead-lettered."),
      [Headers.originalQueue]: text("The queue the message was dead-lettered from."),
    },
    additionalProperties: { type: "string" },
  };
}

/** AsyncAPI's AMQP binding names the exchange types it knows; others (x-delayed-message, …) are shown as topic. */
function amqpExchangeType(type: string): string {
  return ["topic", "direct", "fanout", "default", "headers"].includes(type) ? type : "topic";
}

/** A component key for a message name (AsyncAPI keys are `[A-Za-z0-9_.-]+`), unique in this document. */
function uniqueKey(name: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_.-]/g, "_");
  let key = base;
  for (let i = 2; taken.has(key); i++) key = `${base}_${i}`;
  taken.add(key);
  return key;
}

import { Headers } from "../envelope.ts";

/**
 * How CloudEvents attributes are named beside a message, and how an envelope's headers map to
 * CloudEvents extensions and back. One table, read by both modes and by every transport.
 */
export const CloudEventsHeaders = {
  /**
   * Prefix of a CloudEvents attribute carried as a header (binary mode), as Mailroom writes it:
   * the HTTP binding's `ce-`. SQS message attributes and Redis stream fields carry it as is;
   * RabbitMQ writes `cloudEvents:` (the AMQP binding). Read: `ce-`, `ce_` (Kafka),
   * `cloudEvents:` and `cloudEvents_` (AMQP).
   */
  prefix: "ce-",
  specversion: "ce-specversion",
  id: "ce-id",
  source: "ce-source",
  type: "ce-type",
  time: "ce-time",
  subject: "ce-subject",
  dataschema: "ce-dataschema",
  /** The data's media type in binary mode (`datacontenttype`), and the container's in structured mode. */
  contentType: "content-type",
} as const;

/** Extension attributes that carry the envelope's lineage (there is no standard one). */
export const LineageExtensions = {
  parentId: "parentid",
  correlationId: "correlationid",
  replyTo: "replyto",
} as const;

/** The media type of a structured-mode CloudEvent (JSON event format). */
export const CLOUDEVENTS_JSON = "application/cloudevents+json";

/** Prefixes a binary-mode attribute may come with, by binding. */
const PREFIXES = ["ce-", "ce_", "cloudEvents:", "cloudEvents_"] as const;

/** Context attributes with a field of their own in the envelope or the JSON format. */
const RESERVED = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "time",
  "subject",
  "dataschema",
  "datacontenttype",
  "data",
  "data_base64",
  LineageExtensions.parentId,
  LineageExtensions.correlationId,
  LineageExtensions.replyTo,
]);

/** Mailroom's own headers by the extension name they travel under: the header without its dashes. */
const OWN_HEADERS = new Map<string, string>(
  Object.values(Headers).map((header) => [header.replaceAll("-", ""), header]),
);

/** True when `headers` carry a binary-mode CloudEvent (a `specversion` attribute under any prefix). */
export function hasBinaryCloudEvent(headers: Readonly<Record<string, string>>): boolean {
  return (
    headers["ce-specversion"] !== undefined ||
    headers["cloudEvents:specversion"] !== undefined ||
    headers.cloudEvents_specversion !== undefined ||
    headers.ce_specversion !== undefined
  );
}

/** The attribute a binary-mode header carries (`cloudEvents:type` → `type`), or undefined for other headers. */
export function attributeOfHeader(header: string): string | undefined {
  for (const prefix of PREFIXES) {
    if (header.startsWith(prefix) && header.length > prefix.length) {
      return header.slice(prefix.length).toLowerCase();
    }
  }
  return undefined;
}

/**
 * The envelope header an extension attribute becomes: trace context and Mailroom's own headers
 * by their names (`traceparent`, `notbefore` → `not-before`), any other as `ce-<name>`.
 */
export function headerOfExtension(extension: string): string {
  return OWN_HEADERS.get(extension) ?? `${CloudEventsHeaders.prefix}${extension}`;
}

/**
 * The extension attribute a header travels as in structured mode: `ce-<name>` as `<name>`,
 * Mailroom's own headers without dashes, any other lowercased with everything but letters and
 * digits dropped (`X-Tenant` → `xtenant`), since attribute names are `[a-z0-9]+`. Undefined when
 * nothing is left or the name is one the format reserves, so the header cannot travel.
 */
export function extensionOfHeader(header: string): string | undefined {
  const named = header.startsWith(CloudEventsHeaders.prefix)
    ? header.slice(CloudEventsHeaders.prefix.length)
    : header;
  const name = named.toLowerCase().replace(/[^a-z0-9]/g, "");
  return name.length === 0 || RESERVED.has(name) ? undefined : name;
}

/** True for media types whose data is JSON: `application/json`, `text/json`, `*\/*+json` (parameters ignored). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = mediaType(contentType);
  return type === "application/json" || type === "text/json" || type.endsWith("+json");
}

/** The media type without parameters, lowercased (`Application/JSON; charset=utf-8` → `application/json`). */
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(";");
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

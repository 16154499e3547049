import {
  ConfigError,
  type DecodeFailure,
  type Envelope,
  Headers,
  type MessageMeta,
  type WireMessage,
} from "@mailroom/core";
import { attributesToMeta, MetaAttributes, metaToAttributes } from "@mailroom/core/transport";
import type { RedisArg } from "./script.ts";

/**
 * The fields of a stream entry Mailroom reads and writes. Mailroom writes the codec's body in
 * `body` and its metadata beside it (`mailroom-id`, `mailroom-name`, `mailroom-published-at`,
 * lineage, every header as a field of its own, `mailroom-group-id` for FIFO). It also reads what
 * other producers add: `body` (with or without `mailroom-*` fields), or `name` + `data`, where
 * `data` is the payload's JSON.
 */
export const EntryFields = {
  body: "body",
  /** Payload of an entry written as `name` + `data` by another producer (read when there is no `body`). */
  data: "data",
  /** Message name of an entry another producer wrote (read when there is no `mailroom-name`). */
  name: "name",
} as const;

const RESERVED = new Set<string>([EntryFields.body, EntryFields.data, EntryFields.name, Headers.groupId]);

/** A stream entry as the group delivered it. */
export interface StreamEntry {
  /** The entry id, `<ms>-<seq>`. */
  readonly id: string;
  /** Field names and values in order; values as bytes. */
  readonly fields: ReadonlyArray<readonly [string, Buffer]>;
  /** Deliveries to the group (XPENDING's counter): 1 on the first read, one more per reclaim. */
  readonly deliveryCount: number;
}

/** What an entry's fields say, before the codec reads the body. */
export interface EntryContent {
  /** The body bytes, or undefined when the entry has neither `body` nor `data`. */
  body: Buffer | undefined;
  /** Which field held the body. */
  bodyField: "body" | "data" | undefined;
  meta: MessageMeta;
  groupId: string | undefined;
}

/** Read an entry's fields: the body, the metadata (id and time default to the entry's), the FIFO group. */
export function readEntry(entry: Pick<StreamEntry, "id" | "fields">): EntryContent {
  const attributes: Record<string, string> = {};
  let body: Buffer | undefined;
  let data: Buffer | undefined;
  let name: string | undefined;
  let groupId: string | undefined;
  for (const [key, value] of entry.fields) {
    if (key === EntryFields.body) body = value;
    else if (key === EntryFields.data) data = value;
    else if (key === EntryFields.name) name = value.toString("utf8");
    else if (key === Headers.groupId) groupId = value.toString("utf8") || undefined;
    else attributes[key] = value.toString("utf8");
  }
  const meta = attributesToMeta(attributes);
  meta.id ??= entry.id;
  meta.publishedAt ??= timeOfEntry(entry.id);
  if (name !== undefined) meta.name ??= name;
  if (body === undefined && data !== undefined) return { body: data, bodyField: "data", meta, groupId };
  if (data !== undefined) meta.headers[EntryFields.data] = data.toString("utf8");
  return { body, bodyField: body === undefined ? undefined : "body", meta, groupId };
}

/** The time in an entry id (`<ms>-<seq>`), when it is one. */
export function timeOfEntry(id: string): Date | undefined {
  const ms = Number(id.slice(0, id.indexOf("-")));
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : undefined;
}

/** The fields Mailroom publishes for an encoded message: metadata, headers, FIFO group, then the body. */
export function wireFields(wire: WireMessage, groupId: string | undefined): RedisArg[] {
  for (const key of Object.keys(wire.meta.headers)) {
    if (RESERVED.has(key)) {
      throw new ConfigError(
        `the header "${key}" would overwrite the stream field of that name; rename it (reserved: ${[...RESERVED].join(", ")})`,
      );
    }
  }
  return [...pairs(metaToAttributes(wire.meta)), ...group(groupId), EntryFields.body, Buffer.from(wire.body)];
}

/**
 * The fields of a copy of a decoded entry (retry, defer, release, dead letter): the body bytes
 * exactly as they came (in the field they came in), the envelope's metadata as Mailroom fields,
 * and `headers` in place of the old ones.
 */
export function copyFields(
  content: EntryContent,
  envelope: Envelope,
  headers: Readonly<Record<string, string>>,
): RedisArg[] {
  const meta: MessageMeta = {
    // The id the stream knows the message by (FIFO heads are recorded by it), as the entry had it.
    id: content.meta.id ?? envelope.id,
    name: envelope.name,
    publishedAt: envelope.publishedAt,
    parentId: envelope.parentId,
    correlationId: envelope.correlationId,
    replyTo: envelope.replyTo,
    headers: withoutReserved(headers),
  };
  const body = content.body === undefined ? [] : [content.bodyField ?? EntryFields.body, content.body];
  return [...pairs(metaToAttributes(meta)), ...group(content.groupId), ...body];
}

/**
 * The fields of an undecodable entry's dead letter: every field as it came (the bytes kept for
 * redrive), its id, and the dead-letter facts in `headers`.
 */
export function poisonFields(
  entry: Pick<StreamEntry, "fields">,
  failure: DecodeFailure,
  headers: Readonly<Record<string, string>>,
): RedisArg[] {
  const replaced = new Set([...Object.keys(headers), MetaAttributes.id]);
  const out: RedisArg[] = [];
  for (const [key, value] of entry.fields) if (!replaced.has(key)) out.push(key, value);
  if (failure.meta.id) out.push(MetaAttributes.id, failure.meta.id);
  out.push(...pairs(headers));
  return out;
}

/** Fields without the ones named in `drop` (a redrive drops the dead-letter facts). */
export function withoutFields(
  fields: ReadonlyArray<readonly [string, Buffer]>,
  drop: ReadonlySet<string>,
): RedisArg[] {
  const out: RedisArg[] = [];
  for (const [key, value] of fields) if (!drop.has(key)) out.push(key, value);
  return out;
}

/** Parse a flat `[k1, v1, k2, v2, …]` reply into pairs. */
export function fieldPairs(flat: unknown): Array<[string, Buffer]> {
  const list = Array.isArray(flat) ? flat : [];
  const out: Array<[string, Buffer]> = [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    const key = list[i] as Buffer | string;
    const value = list[i + 1] as Buffer | string;
    out.push([String(key), Buffer.isBuffer(value) ? value : Buffer.from(String(value))]);
  }
  return out;
}

function pairs(map: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(map)) out.push(key, value);
  return out;
}

function group(groupId: string | undefined): string[] {
  return groupId ? [Headers.groupId, groupId] : [];
}

function withoutReserved(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) if (!RESERVED.has(key)) out[key] = value;
  return out;
}

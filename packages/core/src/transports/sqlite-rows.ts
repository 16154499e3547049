import type { MessageMeta } from "../envelope.ts";
import type { DeadLetter } from "../transport.ts";

// Rows as the SQLite store's statements return them (see sqlite-queries.ts).

/** A candidate of the ready index. */
export type DueRow = { seq: number; visible_at: number; group_id: string | null };
/** A message a receive took. */
export type TakenRow = {
  seq: number;
  body: Uint8Array;
  meta: string;
  receive_count: number;
  group_id: string | null;
};
/** Where a settled message was. */
export type SettledRow = { queue: string; group_id: string | null };
/** A dead letter. */
export type DeadRow = {
  seq: number;
  queue: string;
  body: Uint8Array;
  meta: string;
  reason: string;
  attempts: number;
  dead_lettered_at: number;
  group_id: string | null;
};

/** A receipt handle is `seq:receipt`. */
export function splitHandle(handle: string): [seq: number, receipt: string] {
  const colon = handle.indexOf(":");
  return [Number(handle.slice(0, colon)), handle.slice(colon + 1)];
}

/** Metadata as the `meta` column holds it: JSON, `publishedAt` as ISO text. */
export function serializeMeta(meta: MessageMeta): string {
  return JSON.stringify({ ...meta, publishedAt: meta.publishedAt?.toISOString() });
}

/** Metadata from the `meta` column (headers always present). */
export function parseMeta(text: string): MessageMeta {
  const meta = JSON.parse(text) as MessageMeta & { publishedAt?: string };
  return {
    ...meta,
    publishedAt: meta.publishedAt ? new Date(meta.publishedAt) : undefined,
    headers: meta.headers ?? {},
  };
}

/** A dead letter as the admin API lists it. */
export function toDeadLetter(row: DeadRow): DeadLetter {
  const meta = parseMeta(row.meta);
  return {
    handle: String(row.seq),
    id: meta.id ?? String(row.seq),
    name: meta.name,
    reason: row.reason,
    attempts: row.attempts,
    deadLetteredAt: new Date(row.dead_lettered_at),
    queue: row.queue,
    body: Buffer.from(row.body).toString("utf8"),
    headers: meta.headers,
  };
}

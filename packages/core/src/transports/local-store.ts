import type { MessageMeta } from "../envelope.ts";
import type { DeadLetter, QueueDepth } from "../transport.ts";

/** A message as a local store keeps it. */
export interface StoredRow {
  /** Opaque handle of this receipt: settling with a stale handle (after redelivery) is ignored. */
  handle: string;
  body: Uint8Array;
  meta: MessageMeta;
  /** Receives that counted as attempts. */
  receiveCount: number;
  groupId?: string | undefined;
}

/** A message to enqueue. */
export interface NewRow {
  body: Uint8Array;
  meta: MessageMeta;
  /** Epoch ms when it becomes visible. */
  visibleAt: number;
  groupId?: string | undefined;
}

/**
 * The storage behind the local transports (memory and SQLite). Every operation is atomic; a
 * stale handle (the message was redelivered meanwhile) makes settling a no-op.
 */
export interface LocalStore {
  readonly kind: string;
  enqueue(queue: string, rows: NewRow[]): void;
  receive(queue: string, max: number, visibilityMs: number): StoredRow[];
  ack(handles: string[]): void;
  /** Visible again at `visibleAt`. `counted: false` gives back the receive (defer, release). */
  reschedule(handle: string, visibleAt: number, counted: boolean): void;
  extend(handle: string, visibleAt: number): void;
  deadLetter(queue: string, handle: string, reason: string): void;
  depth(queue: string): QueueDepth;
  queues(): string[];
  deadLetterCount(queue: string): number;
  listDeadLetters(queue: string, limit: number): DeadLetter[];
  /** Move up to `limit` dead letters back to `queue`; returns the handles moved. */
  redrive(queue: string, limit: number): number;
  /** Delete up to `limit` of the oldest dead letters of `queue`, atomically; returns how many. */
  purge(queue: string, limit: number): number;
  /** Call `wake` when `queue` may have a message ready; returns the unsubscribe function. */
  subscribe(queue: string, wake: () => void): () => void;
  /** Remove `queue` and everything in it, dead letters included (a requester's reply queue on close). */
  dropQueue(queue: string): void;
  close(): void;
}

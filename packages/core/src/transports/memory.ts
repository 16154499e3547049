import type { MessageMeta } from "../envelope.ts";
import { getOrCreate } from "../map.ts";
import { deadLetterHeaders, redriveHeaders } from "../runtime/attempts.ts";
import type { DeadLetter, QueueDepth } from "../transport.ts";
import { LocalTransport, type LocalTransportOptions } from "./local.ts";
import type { LocalStore, NewRow, StoredRow } from "./local-store.ts";
import { type MemoryMessage, MemoryQueue } from "./memory-queue.ts";

/** A dead letter with what redrive needs to put it back. */
interface KeptDeadLetter extends DeadLetter {
  meta: MessageMeta;
  bytes: Uint8Array;
  groupId: string | undefined;
}

interface QueueState {
  readonly messages: MemoryQueue;
  readonly dead: KeptDeadLetter[];
  readonly waiters: Set<() => void>;
  timer?: NodeJS.Timeout | undefined;
}

/** What a memory queue holds, for tests and diagnostics. */
export interface MemoryQueueStats {
  /** Messages in the queue (waiting, delayed or in flight). */
  messages: number;
  /** Messages in the due index: each is there at most once, and only while it may be received next. */
  scheduled: number;
  /** FIFO groups with messages in the queue. */
  groups: number;
  deadLetters: number;
  /** Entries all receives on this queue looked at so far: grows with what they return, not with the backlog. */
  examined: number;
}

/**
 * An in-process store: queues live as long as the store object. FIFO groups behave as on Amazon
 * SQS FIFO (see `MemoryQueue`). A settled message is released at once: nothing of it stays in the
 * store but its dead letter, if it became one.
 */
export class MemoryStore implements LocalStore {
  readonly kind = "memory";
  readonly #queues = new Map<string, QueueState>();
  #seq = 0;

  enqueue(queue: string, rows: NewRow[]): void {
    const state = this.#state(queue);
    for (const row of rows) state.messages.add(++this.#seq, row);
    this.#wake(state);
  }

  receive(queue: string, max: number, visibilityMs: number): StoredRow[] {
    const state = this.#state(queue);
    const taken = state.messages.receive(max, visibilityMs, Date.now());
    this.#arm(state);
    return taken.map((m) => ({
      handle: `${queue}\u0000${m.seq}\u0000${m.version}`,
      body: m.body,
      meta: m.meta,
      receiveCount: m.receiveCount,
      groupId: m.group?.id,
    }));
  }

  ack(handles: string[]): void {
    const unblocked = new Set<QueueState>();
    for (const handle of handles) {
      const found = this.#find(handle);
      if (found?.state.messages.remove(found.message)) unblocked.add(found.state);
    }
    for (const state of unblocked) this.#wake(state);
  }

  reschedule(handle: string, visibleAt: number, counted: boolean): void {
    const found = this.#find(handle);
    if (!found) return;
    found.state.messages.giveBack(found.message, visibleAt, counted);
    // A return may unlock the message's group as well as make itself due.
    this.#wake(found.state);
  }

  extend(handle: string, visibleAt: number): void {
    const found = this.#find(handle);
    if (found) found.state.messages.extend(found.message, visibleAt);
  }

  deadLetter(queue: string, handle: string, reason: string): void {
    const found = this.#find(handle);
    if (!found) return;
    const { state, message: m } = found;
    if (state.messages.remove(m)) this.#wake(state);
    const deadLetteredAt = new Date();
    state.dead.push({
      handle: String(m.seq),
      id: m.meta.id ?? String(m.seq),
      name: m.meta.name,
      reason,
      attempts: m.receiveCount,
      deadLetteredAt,
      queue,
      body: Buffer.from(m.body).toString("utf8"),
      headers: deadLetterHeaders(m.meta.headers, {
        reason,
        attempts: m.receiveCount,
        queue,
        at: deadLetteredAt,
      }),
      meta: m.meta,
      bytes: m.body,
      groupId: m.group?.id,
    });
  }

  depth(queue: string): QueueDepth {
    return this.#state(queue).messages.depth(Date.now());
  }

  queues(): string[] {
    return [...this.#queues.keys()];
  }

  deadLetterCount(queue: string): number {
    return this.#state(queue).dead.length;
  }

  listDeadLetters(queue: string, limit: number): DeadLetter[] {
    return this.#state(queue)
      .dead.slice(0, limit)
      .map(({ meta: _meta, bytes: _bytes, groupId: _groupId, ...dead }) => dead);
  }

  redrive(queue: string, limit: number): number {
    const moved = this.#state(queue).dead.splice(0, limit);
    const now = Date.now();
    this.enqueue(
      queue,
      moved.map((d) => ({
        body: d.bytes,
        meta: { ...d.meta, headers: redriveHeaders(d.headers) },
        visibleAt: now,
        groupId: d.groupId,
      })),
    );
    return moved.length;
  }

  purge(queue: string, limit: number): number {
    return this.#state(queue).dead.splice(0, limit).length;
  }

  subscribe(queue: string, wake: () => void): () => void {
    const state = this.#state(queue);
    state.waiters.add(wake);
    this.#arm(state);
    return () => state.waiters.delete(wake);
  }

  dropQueue(queue: string): void {
    const state = this.#queues.get(queue);
    if (state?.timer) clearTimeout(state.timer);
    this.#queues.delete(queue);
  }

  close(): void {
    for (const state of this.#queues.values()) if (state.timer) clearTimeout(state.timer);
  }

  /** What `queue` holds now. */
  stats(queue: string): MemoryQueueStats {
    const state = this.#state(queue);
    return {
      messages: state.messages.messages.size,
      scheduled: state.messages.scheduled,
      groups: state.messages.groups,
      deadLetters: state.dead.length,
      examined: state.messages.examined,
    };
  }

  #state(queue: string): QueueState {
    return getOrCreate(this.#queues, queue, () => ({
      messages: new MemoryQueue(),
      dead: [],
      waiters: new Set<() => void>(),
    }));
  }

  /** The message a handle names, unless it was settled or received again since. */
  #find(handle: string): { state: QueueState; message: MemoryMessage } | undefined {
    const [queue, seq, version] = handle.split("\u0000");
    const state = this.#queues.get(queue!);
    const message = state?.messages.messages.get(Number(seq));
    if (!state || !message || message.version !== Number(version)) return undefined;
    return { state, message };
  }

  #wake(state: QueueState): void {
    for (const wake of [...state.waiters]) wake();
    this.#arm(state);
  }

  /** Keep one timer for the next due message while someone waits. */
  #arm(state: QueueState): void {
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    const dueAt = state.messages.nextDueAt();
    if (state.waiters.size === 0 || dueAt === undefined) return;
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        for (const wake of [...state.waiters]) wake();
      },
      Math.max(0, dueAt - Date.now()),
    );
    state.timer.unref?.();
  }
}

const shared = new Map<string, MemoryStore>();

/**
 * Open a memory transport. Transports opened with the same `namespace` in one process share
 * their queues (a publisher and a worker in one test, say).
 */
export function memoryTransport(
  options: LocalTransportOptions & { namespace?: string } = {},
): LocalTransport {
  return new LocalTransport(memoryStore(options.namespace), options, false);
}

/** The process-wide store of a memory namespace (for tests that write raw bytes). */
export function memoryStore(namespace = "default"): MemoryStore {
  return getOrCreate(shared, namespace, () => new MemoryStore());
}

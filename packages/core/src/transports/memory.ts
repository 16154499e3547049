import { Headers, type MessageMeta } from "../envelope.ts";
import { getOrCreate } from "../map.ts";
import type { DeadLetter, QueueDepth } from "../transport.ts";
import { DueHeap } from "./heap.ts";
import { LocalTransport, type LocalTransportOptions } from "./local.ts";
import type { LocalStore, NewRow, StoredRow } from "./local-store.ts";

interface Message {
  seq: number;
  queue: string;
  body: Uint8Array;
  meta: MessageMeta;
  groupId: string | undefined;
  visibleAt: number;
  receiveCount: number;
  /** Bumped on every receive / reschedule: stale heap entries and handles are ignored. */
  version: number;
  inFlight: boolean;
}

interface Entry {
  at: number;
  seq: number;
  version: number;
  msg: Message;
}

interface Queue {
  heap: DueHeap<Entry>;
  messages: Map<number, Message>;
  dead: Array<DeadLetter & { meta: MessageMeta; bytes: Uint8Array }>;
  waiters: Set<() => void>;
  timer?: NodeJS.Timeout;
  busyGroups: Map<string, number>;
  /** Pending messages of each FIFO group, in publish order: only the head may be received. */
  groups: Map<string, Message[]>;
}

/** An in-process store: queues live as long as the store object. FIFO groups are locked while in flight. */
export class MemoryStore implements LocalStore {
  readonly kind = "memory";
  readonly #queues = new Map<string, Queue>();
  #seq = 0;

  #q(name: string): Queue {
    let q = this.#queues.get(name);
    if (!q) {
      q = {
        heap: new DueHeap(),
        messages: new Map(),
        dead: [],
        waiters: new Set(),
        busyGroups: new Map(),
        groups: new Map(),
      };
      this.#queues.set(name, q);
    }
    return q;
  }

  enqueue(queue: string, rows: NewRow[]): void {
    const q = this.#q(queue);
    for (const r of rows) {
      const msg: Message = {
        seq: ++this.#seq,
        queue,
        body: r.body,
        meta: r.meta,
        groupId: r.groupId,
        visibleAt: r.visibleAt,
        receiveCount: 0,
        version: 0,
        inFlight: false,
      };
      q.messages.set(msg.seq, msg);
      if (msg.groupId !== undefined) {
        const list = q.groups.get(msg.groupId);
        if (list) list.push(msg);
        else q.groups.set(msg.groupId, [msg]);
      }
      q.heap.push({ at: msg.visibleAt, seq: msg.seq, version: 0, msg });
    }
    this.#wake(q);
  }

  receive(queue: string, max: number, visibilityMs: number): StoredRow[] {
    const q = this.#q(queue);
    const now = Date.now();
    const out: StoredRow[] = [];
    const held: Entry[] = [];
    while (out.length < max) {
      const top = q.heap.peek();
      if (!top || top.at > now) break;
      q.heap.pop();
      const m = top.msg;
      if (top.version !== m.version || top.at !== m.visibleAt || !q.messages.has(m.seq)) continue;
      if (m.groupId !== undefined) {
        const owner = q.busyGroups.get(m.groupId);
        const head = q.groups.get(m.groupId)?.[0];
        if ((owner !== undefined && owner !== m.seq) || (head !== undefined && head !== m)) {
          held.push(top);
          continue;
        }
        q.busyGroups.set(m.groupId, m.seq);
      }
      m.inFlight = true;
      m.receiveCount++;
      m.version++;
      m.visibleAt = now + visibilityMs;
      q.heap.push({ at: m.visibleAt, seq: m.seq, version: m.version, msg: m });
      out.push({
        handle: `${queue}\u0000${m.seq}\u0000${m.version}`,
        body: m.body,
        meta: m.meta,
        receiveCount: m.receiveCount,
        groupId: m.groupId,
      });
    }
    for (const e of held) q.heap.push(e);
    this.#arm(q);
    return out;
  }

  #find(handle: string): { q: Queue; m: Message } | undefined {
    const [queue, seq, version] = handle.split("\u0000");
    const q = this.#queues.get(queue!);
    const m = q?.messages.get(Number(seq));
    if (!q || !m || m.version !== Number(version)) return undefined;
    return { q, m };
  }

  ack(handles: string[]): void {
    for (const h of handles) {
      const f = this.#find(h);
      if (!f) continue;
      f.q.messages.delete(f.m.seq);
      this.#removeFromGroup(f.q, f.m);
      this.#unlockGroup(f.q, f.m);
    }
  }

  reschedule(handle: string, visibleAt: number, counted: boolean): void {
    const f = this.#find(handle);
    if (!f) return;
    const { q, m } = f;
    if (!counted) m.receiveCount--;
    m.version++;
    m.inFlight = false;
    m.visibleAt = visibleAt;
    q.heap.push({ at: visibleAt, seq: m.seq, version: m.version, msg: m });
    this.#unlockGroup(q, m);
  }

  extend(handle: string, visibleAt: number): void {
    const f = this.#find(handle);
    if (!f) return;
    // Same version, so the handle stays valid; the older heap entry no longer matches `visibleAt`.
    f.m.visibleAt = visibleAt;
    f.q.heap.push({ at: visibleAt, seq: f.m.seq, version: f.m.version, msg: f.m });
  }

  deadLetter(queue: string, handle: string, reason: string): void {
    const f = this.#find(handle);
    if (!f) return;
    const { q, m } = f;
    q.messages.delete(m.seq);
    this.#removeFromGroup(q, m);
    this.#unlockGroup(q, m);
    const headers = {
      ...m.meta.headers,
      [Headers.deadLetterReason]: reason,
      [Headers.deadLetteredAt]: new Date().toISOString(),
      [Headers.originalQueue]: queue,
      [Headers.attempt]: String(m.receiveCount),
    };
    q.dead.push({
      handle: String(m.seq),
      id: m.meta.id ?? String(m.seq),
      name: m.meta.name,
      reason,
      attempts: m.receiveCount,
      deadLetteredAt: new Date(),
      queue,
      body: Buffer.from(m.body).toString("utf8"),
      headers,
      meta: m.meta,
      bytes: m.body,
    });
  }

  depth(queue: string): QueueDepth {
    const q = this.#q(queue);
    const now = Date.now();
    let ready = 0;
    let delayed = 0;
    let inFlight = 0;
    for (const m of q.messages.values()) {
      if (m.inFlight && m.visibleAt > now) inFlight++;
      else if (m.visibleAt > now) delayed++;
      else ready++;
    }
    return { ready, delayed, inFlight };
  }

  queues(): string[] {
    return [...this.#queues.keys()];
  }

  deadLetterCount(queue: string): number {
    return this.#q(queue).dead.length;
  }

  listDeadLetters(queue: string, limit: number): DeadLetter[] {
    return this.#q(queue)
      .dead.slice(0, limit)
      .map(({ meta: _meta, bytes: _bytes, ...d }) => d);
  }

  redrive(queue: string, limit: number): number {
    const q = this.#q(queue);
    const moved = q.dead.splice(0, limit);
    this.enqueue(
      queue,
      moved.map((d) => ({ body: d.bytes, meta: d.meta, visibleAt: Date.now() })),
    );
    return moved.length;
  }

  subscribe(queue: string, wake: () => void): () => void {
    const q = this.#q(queue);
    q.waiters.add(wake);
    this.#arm(q);
    return () => q.waiters.delete(wake);
  }

  close(): void {
    for (const q of this.#queues.values()) if (q.timer) clearTimeout(q.timer);
  }

  #removeFromGroup(q: Queue, m: Message): void {
    if (m.groupId === undefined) return;
    const list = q.groups.get(m.groupId);
    if (!list) return;
    const i = list.indexOf(m);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) q.groups.delete(m.groupId);
  }

  #unlockGroup(q: Queue, m: Message): void {
    if (m.groupId !== undefined && q.busyGroups.get(m.groupId) === m.seq) {
      q.busyGroups.delete(m.groupId);
      this.#wake(q);
    } else if (!m.inFlight) this.#arm(q);
  }

  #wake(q: Queue): void {
    for (const w of [...q.waiters]) w();
    this.#arm(q);
  }

  /** Keep one timer for the next due message while someone waits. */
  #arm(q: Queue): void {
    if (q.timer) clearTimeout(q.timer);
    q.timer = undefined;
    if (q.waiters.size === 0) return;
    const top = q.heap.peek();
    if (!top) return;
    const ms = Math.max(0, top.at - Date.now());
    q.timer = setTimeout(() => {
      q.timer = undefined;
      for (const w of [...q.waiters]) w();
    }, ms);
    q.timer.unref?.();
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

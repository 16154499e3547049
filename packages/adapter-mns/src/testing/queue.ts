import { createHash, randomBytes } from "node:crypto";
import { errors } from "./protocol-error.ts";

/** A queue's settings, as CreateQueue / SetQueueAttributes carry them (seconds and bytes). */
export interface QueueAttributes {
  delaySeconds: number;
  maximumMessageSize: number;
  messageRetentionPeriod: number;
  visibilityTimeout: number;
  pollingWaitSeconds: number;
  loggingEnabled: boolean;
  /** Move a message to `deadLetterTargetQueue` instead of delivering it after `maxReceiveCount` receives. */
  dlqPolicy?: { enabled: boolean; deadLetterTargetQueue: string; maxReceiveCount: number } | undefined;
}

/** MNS's defaults for a new queue. */
export const DEFAULT_ATTRIBUTES: QueueAttributes = {
  delaySeconds: 0,
  maximumMessageSize: 65_536,
  messageRetentionPeriod: 345_600,
  visibilityTimeout: 30,
  pollingWaitSeconds: 0,
  loggingEnabled: false,
};

/** One message as the server holds it. Times are epoch ms, as MNS reports them. */
export interface StoredMessage {
  readonly id: string;
  /** The body exactly as sent (MNS does not decode base64). */
  readonly body: string;
  /** Upper-case hex MD5 of the body. */
  readonly md5: string;
  readonly priority: number;
  readonly enqueueTime: number;
  readonly seq: number;
  firstDequeueTime: number | undefined;
  dequeueCount: number;
  visibleAt: number;
  /** The one receipt handle that is valid now, while the message is invisible after a receive. */
  handle: string | undefined;
}

interface Waiter {
  max: number;
  resolve(messages: StoredMessage[]): void;
  timer: NodeJS.Timeout;
}

let seq = 0;

/**
 * One queue's messages and long-poll waiters. Visibility is computed from `visibleAt` when asked;
 * a single timer wakes waiters when the earliest invisible message becomes visible.
 */
export class ServerQueue {
  readonly name: string;
  attributes: QueueAttributes;
  readonly createTime = Date.now();
  lastModifyTime = Date.now();
  readonly #messages = new Map<string, StoredMessage>();
  readonly #handles = new Map<string, StoredMessage>();
  readonly #waiters = new Set<Waiter>();
  readonly #lookup: (name: string) => ServerQueue | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(name: string, attributes: QueueAttributes, lookup: (name: string) => ServerQueue | undefined) {
    this.name = name;
    this.attributes = attributes;
    this.#lookup = lookup;
  }

  /** Enqueue a body; `delaySeconds` defaults to the queue's, `priority` to 8 (1 is first). */
  send(body: string, delaySeconds?: number, priority?: number): StoredMessage {
    const now = Date.now();
    const n = ++seq;
    const message: StoredMessage = {
      id: `${now.toString(16).toUpperCase()}-${n.toString(16).toUpperCase()}-${randomBytes(4).toString("hex").toUpperCase()}`,
      body,
      md5: createHash("md5").update(body, "utf8").digest("hex").toUpperCase(),
      priority: priority ?? 8,
      enqueueTime: now,
      seq: n,
      firstDequeueTime: undefined,
      dequeueCount: 0,
      visibleAt: now + (delaySeconds ?? this.attributes.delaySeconds) * 1000,
      handle: undefined,
    };
    this.#messages.set(message.id, message);
    this.#serveWaiters();
    return message;
  }

  /** Take up to `max` visible messages now: each gets DequeueCount + 1, a new handle and the visibility timeout. */
  receive(max: number): StoredMessage[] {
    const now = Date.now();
    const out: StoredMessage[] = [];
    // Messages moved by the DlqPolicy leave the queue, so looking again finds the next ones.
    for (
      let batch = this.#visible(now, max);
      batch.length > 0;
      batch = this.#visible(now, max - out.length)
    ) {
      for (const m of batch) {
        if (this.#deadLettered(m)) continue;
        this.#forgetHandle(m);
        m.dequeueCount++;
        m.firstDequeueTime ??= now;
        m.visibleAt = now + this.attributes.visibilityTimeout * 1000;
        this.#newHandle(m);
        out.push(m);
      }
      if (out.length >= max) break;
    }
    if (out.length > 0) this.#schedule();
    return out;
  }

  /** Long poll: messages at once if any, else the first that become visible within `waitMs`, else `[]`. Returns a cancel function too. */
  wait(max: number, waitMs: number): { result: Promise<StoredMessage[]>; cancel(): void } {
    const now = this.receive(max);
    if (now.length > 0 || waitMs <= 0) return { result: Promise.resolve(now), cancel() {} };
    let waiter!: Waiter;
    const result = new Promise<StoredMessage[]>((resolve) => {
      waiter = {
        max,
        resolve: (messages) => {
          clearTimeout(waiter.timer);
          this.#waiters.delete(waiter);
          resolve(messages);
        },
        timer: setTimeout(() => waiter.resolve([]), waitMs),
      };
      this.#waiters.add(waiter);
    });
    this.#schedule();
    return { result, cancel: () => this.#waiters.has(waiter) && waiter.resolve([]) };
  }

  /** Every message held, visible or not, in enqueue order: for tests that inspect the queue. */
  messages(): StoredMessage[] {
    return [...this.#messages.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Visible messages without receiving them (no handle, no count). */
  peek(max: number): StoredMessage[] {
    return this.#visible(Date.now(), max);
  }

  /** Delete by the current receipt handle; an old or unknown handle is a `ReceiptHandleError`. */
  delete(handle: string): void {
    const m = this.#valid(handle);
    this.#forgetHandle(m);
    this.#messages.delete(m.id);
  }

  /** Make the message visible again in `seconds` (1–43,200): a NEW handle is issued and the old one is dead. */
  changeVisibility(handle: string, seconds: number): StoredMessage {
    const m = this.#valid(handle);
    this.#forgetHandle(m);
    m.visibleAt = Date.now() + seconds * 1000;
    this.#newHandle(m);
    this.#schedule();
    return m;
  }

  /** Active (visible), inactive (received, in flight) and delayed (never received yet, not visible). */
  counts(): { active: number; inactive: number; delayed: number } {
    const now = Date.now();
    let active = 0;
    let inactive = 0;
    let delayed = 0;
    for (const m of this.#messages.values()) {
      if (m.visibleAt <= now) active++;
      else if (m.dequeueCount > 0) inactive++;
      else delayed++;
    }
    return { active, inactive, delayed };
  }

  /** End every long poll (with no messages) and stop the timer. */
  close(): void {
    for (const w of [...this.#waiters]) w.resolve([]);
    clearTimeout(this.#timer);
  }

  /** Visible messages, priority 1 first, then in enqueue order (the Map keeps enqueue order). */
  #visible(now: number, max = Number.POSITIVE_INFINITY): StoredMessage[] {
    const byPriority: StoredMessage[][] = Array.from({ length: 17 }, () => []);
    for (const m of this.#messages.values()) {
      const bucket = byPriority[m.priority]!;
      if (m.visibleAt <= now && bucket.length < max) bucket.push(m);
    }
    return byPriority.flat().slice(0, max);
  }

  /** DlqPolicy: a message already received MaxReceiveCount times moves to the target queue instead. */
  #deadLettered(m: StoredMessage): boolean {
    const p = this.attributes.dlqPolicy;
    if (!p?.enabled || m.dequeueCount < p.maxReceiveCount) return false;
    const target = this.#lookup(p.deadLetterTargetQueue);
    if (!target || target === this) return false;
    this.#forgetHandle(m);
    this.#messages.delete(m.id);
    target.send(m.body, 0, m.priority);
    return true;
  }

  #valid(handle: string): StoredMessage {
    const m = this.#handles.get(handle);
    if (!m || m.handle !== handle || m.visibleAt <= Date.now() || !this.#messages.has(m.id)) {
      throw errors.receiptHandleError();
    }
    return m;
  }

  #newHandle(m: StoredMessage): void {
    // Base64 with + / and = on purpose: a client that does not URL-encode it breaks here, as on MNS.
    const handle = Buffer.concat([Buffer.from([0xfb, 0xff, 0xbf]), randomBytes(16)]).toString("base64");
    m.handle = handle;
    this.#handles.set(handle, m);
  }

  #forgetHandle(m: StoredMessage): void {
    if (m.handle) this.#handles.delete(m.handle);
    m.handle = undefined;
  }

  #serveWaiters(): void {
    for (const w of [...this.#waiters]) {
      const got = this.receive(w.max);
      if (got.length === 0) break;
      w.resolve(got);
    }
    this.#schedule();
  }

  /** Wake waiters when the earliest invisible message turns visible. */
  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiters.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    const now = Date.now();
    for (const m of this.#messages.values()) if (m.visibleAt > now && m.visibleAt < next) next = m.visibleAt;
    if (next === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(() => this.#serveWaiters(), Math.max(1, next - now + 1));
  }
}

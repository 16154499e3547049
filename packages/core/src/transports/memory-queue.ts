import type { MessageMeta } from "../envelope.ts";
import { DueHeap, type Scheduled } from "./heap.ts";
import type { NewRow } from "./local-store.ts";

/** A message as the memory store keeps it while it is in its queue. */
export interface MemoryMessage extends Scheduled {
  readonly body: Uint8Array;
  readonly meta: MessageMeta;
  readonly group: FifoGroup | undefined;
  /** Receives that counted as runs. */
  receiveCount: number;
  /** Bumped on every receive and return, so a handle of an earlier receipt no longer matches. */
  version: number;
  inFlight: boolean;
  /** Waits behind an earlier message of its group: only in the group's list, not in the heap. */
  parked: boolean;
  /** Neighbours in the group's publish order. */
  prev: MemoryMessage | undefined;
  next: MemoryMessage | undefined;
}

/** The messages of one FIFO group, in publish order. */
interface FifoGroup {
  readonly id: string;
  head: MemoryMessage | undefined;
  tail: MemoryMessage | undefined;
  /** The group's messages in the heap: its head and those in flight (a receive's worth at most). */
  readonly unparked: Set<MemoryMessage>;
}

/**
 * One memory queue, with FIFO groups as on Amazon SQS FIFO: a receive may take several messages
 * of a group in order; while any is in flight no receive gets the group; a later message is never
 * received before an earlier one still in the queue.
 *
 * Only messages that may be received next are in the due heap: ungrouped messages, each group's
 * head, and messages in flight (so their visibility can expire). The rest of a group waits
 * parked in the group's list and is reached from its head, so the cost of a receive depends on
 * what it returns, not on the backlog; an acked message leaves every structure at once.
 */
export class MemoryQueue {
  /** Messages in the queue by `seq`. */
  readonly messages = new Map<number, MemoryMessage>();
  readonly #heap = new DueHeap<MemoryMessage>();
  readonly #groups = new Map<string, FifoGroup>();
  /** Entries receives looked at since the queue was created: the measure of receive cost. */
  examined = 0;

  /** Messages in the due heap. */
  get scheduled(): number {
    return this.#heap.size;
  }

  /** FIFO groups with messages in the queue. */
  get groups(): number {
    return this.#groups.size;
  }

  /** When the next message in the heap is due (or its visibility ends); undefined when empty. */
  nextDueAt(): number | undefined {
    return this.#heap.peek()?.visibleAt;
  }

  add(seq: number, row: NewRow): void {
    const group = row.groupId === undefined ? undefined : this.#group(row.groupId);
    const m: MemoryMessage = {
      seq,
      body: row.body,
      meta: row.meta,
      group,
      visibleAt: row.visibleAt,
      heapIndex: -1,
      receiveCount: 0,
      version: 0,
      inFlight: false,
      parked: false,
      prev: group?.tail,
      next: undefined,
    };
    this.messages.set(seq, m);
    if (group?.tail) {
      group.tail.next = m;
      group.tail = m;
      m.parked = true;
      return;
    }
    if (group) {
      group.head = group.tail = m;
      group.unparked.add(m);
    }
    this.#heap.upsert(m);
  }

  /** Take up to `max` due messages, invisible until `now + visibilityMs`, in due order. */
  receive(max: number, visibilityMs: number, now: number): MemoryMessage[] {
    const out: MemoryMessage[] = [];
    const until = now + visibilityMs;
    // Group entries are lifted out while the receive looks past them, and put back after.
    const lifted: MemoryMessage[] = [];
    const seen = new Set<FifoGroup>();
    while (out.length < max) {
      const top = this.#heap.peek();
      if (!top || top.visibleAt > now) break;
      this.examined++;
      if (!top.group) {
        this.#take(top, until, out);
        continue;
      }
      this.#heap.remove(top);
      lifted.push(top);
      if (seen.has(top.group)) continue;
      seen.add(top.group);
      this.#takeRun(top.group, max - out.length, now, until, out);
    }
    for (const m of lifted) if (!m.parked && m.heapIndex < 0) this.#heap.upsert(m);
    return out;
  }

  /**
   * Remove a message (acked or dead-lettered). Returns true when its group still has messages,
   * one of which may now be receivable.
   */
  remove(m: MemoryMessage): boolean {
    this.messages.delete(m.seq);
    this.#heap.remove(m);
    const group = m.group;
    if (!group) return false;
    group.unparked.delete(m);
    const wasHead = group.head === m;
    if (m.prev) m.prev.next = m.next;
    else group.head = m.next;
    if (m.next) m.next.prev = m.prev;
    else group.tail = m.prev;
    m.prev = m.next = undefined;
    const head = group.head;
    if (!head) {
      this.#groups.delete(group.id);
      return false;
    }
    if (wasHead && head.parked) {
      head.parked = false;
      group.unparked.add(head);
      this.#heap.upsert(head);
    }
    return true;
  }

  /** Give a received message back, visible at `visibleAt`; `counted: false` undoes its receive. */
  giveBack(m: MemoryMessage, visibleAt: number, counted: boolean): void {
    if (!counted) m.receiveCount--;
    m.version++;
    m.inFlight = false;
    m.visibleAt = visibleAt;
    // Behind an earlier message of its group it waits for that one, whatever its own time.
    if (m.group && m.group.head !== m) this.#park(m);
    else this.#heap.upsert(m);
  }

  /** Keep a received message invisible until `visibleAt`. */
  extend(m: MemoryMessage, visibleAt: number): void {
    m.visibleAt = visibleAt;
    if (m.heapIndex >= 0) this.#heap.upsert(m);
  }

  /** Ready, delayed and in-flight counts. */
  depth(now: number): { ready: number; delayed: number; inFlight: number } {
    let ready = 0;
    let delayed = 0;
    let inFlight = 0;
    for (const m of this.messages.values()) {
      if (m.visibleAt <= now) ready++;
      else if (m.inFlight) inFlight++;
      else delayed++;
    }
    return { ready, delayed, inFlight };
  }

  /** Take the group's head and the due messages after it, unless a message of it is in flight. */
  #takeRun(group: FifoGroup, room: number, now: number, until: number, out: MemoryMessage[]): void {
    for (const m of group.unparked) if (m.inFlight && m.visibleAt > now) return;
    let through = group.head!.seq;
    for (let m = group.head; m && room > 0 && m.visibleAt <= now; m = m.next, room--) {
      this.examined++;
      this.#take(m, until, out);
      through = m.seq;
    }
    // Messages whose visibility ran out behind the run wait for it again.
    for (const m of group.unparked) if (m.seq > through) this.#park(m);
  }

  #take(m: MemoryMessage, until: number, out: MemoryMessage[]): void {
    m.inFlight = true;
    m.receiveCount++;
    m.version++;
    m.visibleAt = until;
    if (m.group) {
      m.parked = false;
      m.group.unparked.add(m);
    }
    this.#heap.upsert(m);
    out.push(m);
  }

  #park(m: MemoryMessage): void {
    this.#heap.remove(m);
    m.parked = true;
    m.inFlight = false;
    m.group?.unparked.delete(m);
  }

  #group(id: string): FifoGroup {
    let group = this.#groups.get(id);
    if (!group) {
      group = { id, head: undefined, tail: undefined, unparked: new Set() };
      this.#groups.set(id, group);
    }
    return group;
  }
}

/** What a `DueHeap` orders and where it keeps each item's position. */
export interface Scheduled {
  /** Epoch ms the item is due. After changing it, `upsert` the item into the heap that holds it. */
  visibleAt: number;
  /** Tie-break: publish order. */
  readonly seq: number;
  /** The item's index in its heap; -1 when in none. Owned by the heap. */
  heapIndex: number;
}

/**
 * A binary min-heap ordered by `(visibleAt, seq)`: the due order of scheduled messages. Each item
 * knows its own position, so it is in the heap at most once and can be moved or removed in
 * O(log n) — nothing stale stays behind to keep a settled message alive until it comes due.
 */
export class DueHeap<T extends Scheduled> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** The item due first, left in place. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Add `item`, or move it to its place when it is already here (its `visibleAt` changed). */
  upsert(item: T): void {
    if (item.heapIndex >= 0) {
      this.#fix(item.heapIndex);
      return;
    }
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  /** Take `item` out; a no-op when it is in no heap. */
  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    const last = this.#items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    this.#items[i] = last;
    last.heapIndex = i;
    this.#fix(i);
  }

  /** Take out and return the item due first. */
  pop(): T | undefined {
    const top = this.#items[0];
    if (top) this.remove(top);
    return top;
  }

  #fix(i: number): void {
    if (i > 0 && before(this.#items[i]!, this.#items[(i - 1) >> 1]!)) this.#up(i);
    else this.#down(i);
  }

  #up(start: number): void {
    const items = this.#items;
    const item = items[start]!;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, items[parent]!)) break;
      this.#place(items[parent]!, i);
      i = parent;
    }
    this.#place(item, i);
  }

  #down(start: number): void {
    const items = this.#items;
    const item = items[start]!;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && before(items[right]!, items[left]!) ? right : left;
      if (!before(items[child]!, item)) break;
      this.#place(items[child]!, i);
      i = child;
    }
    this.#place(item, i);
  }

  #place(item: T, i: number): void {
    this.#items[i] = item;
    item.heapIndex = i;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.visibleAt < b.visibleAt || (a.visibleAt === b.visibleAt && a.seq < b.seq);
}

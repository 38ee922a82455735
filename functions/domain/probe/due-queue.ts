// Which channels are due next, without scanning the fleet: a binary min-heap of (due time, item), at most one
// live entry per item. schedule() only ever brings an item's time forward; a later time is found when its
// current entry comes out and the owner asks the item again (lazy: an entry whose time was replaced is dropped
// as it surfaces). Hand-written: a few dozen lines, no dependency in the tree offers one.

export class DueQueue<T> {
  readonly #times: number[] = [];
  readonly #items: T[] = [];
  /** The time of each item's live entry. */
  readonly #live = new Map<T, number>();

  get size(): number {
    return this.#live.size;
  }

  /** `item` is due at `at` (epoch ms), unless it already is earlier. */
  schedule(item: T, at: number): void {
    const current = this.#live.get(item);
    if (current !== undefined && current <= at) return;
    this.#live.set(item, at);
    this.#push(at, item);
  }

  /** The earliest live time (Infinity when empty). */
  peek(): number {
    this.#dropReplaced();
    return this.#times[0] ?? Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the items due at or before `now`, earliest first. */
  takeDue(now: number): T[] {
    const due: T[] = [];
    while (this.peek() <= now) {
      const item = this.#pop();
      this.#live.delete(item);
      due.push(item);
    }
    return due;
  }

  #dropReplaced(): void {
    while (this.#times.length > 0 && this.#live.get(this.#items[0] as T) !== this.#times[0]) this.#pop();
  }

  #push(at: number, item: T): void {
    const times = this.#times;
    const items = this.#items;
    let i = times.length;
    times.push(at);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((times[parent] as number) <= at) break;
      times[i] = times[parent] as number;
      items[i] = items[parent] as T;
      i = parent;
    }
    times[i] = at;
    items[i] = item;
  }

  #pop(): T {
    const times = this.#times;
    const items = this.#items;
    const top = items[0] as T;
    const lastTime = times.pop() as number;
    const lastItem = items.pop() as T;
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && (times[child + 1] as number) < (times[child] as number)) child++;
        if ((times[child] as number) >= lastTime) break;
        times[i] = times[child] as number;
        items[i] = items[child] as T;
        i = child;
      }
      times[i] = lastTime;
      items[i] = lastItem;
    }
    return top;
  }
}

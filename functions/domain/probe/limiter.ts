// A FIFO concurrency limit shared by every request of a sweep, with one lane ahead of it for urgent tasks.
// Hand-written (a dozen lines) rather than a dependency: FIFO order is what keeps a sweep fair, and nothing
// installed offers exactly that. The urgent lane is for the probe's fetches at a rendition's deadline and its
// confirming re-fetches: a frozen rendition (or a stale verdict waiting for its confirmation) should not queue
// behind a whole fleet's learning fetches.
export class ConcurrencyLimit {
  #active = 0;
  readonly #waiting = new Queue<() => void>();
  readonly #urgent = new Queue<() => void>();

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length + this.#urgent.length;
  }

  /** Runs `task` when a slot is free; slots are handed out in arrival order, urgent tasks first. */
  async run<T>(task: () => Promise<T>, urgent = false): Promise<T> {
    if (this.#active >= this.max) await new Promise<void>((resolve) => (urgent ? this.#urgent : this.#waiting).push(resolve));
    else this.#active++;
    try {
      return await task();
    } finally {
      const next = this.#urgent.take() ?? this.#waiting.take();
      // The slot passes straight to the next waiter, so #active stays the same.
      if (next) next();
      else this.#active--;
    }
  }
}

/**
 * FIFO with O(1) take: a fleet's deadlines falling due together queue thousands of requests, and
 * Array#shift moves every element of a large array on each call.
 */
class Queue<T> {
  #items: Array<T | undefined> = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  take(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    // Drop the taken prefix once it is most of the array.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

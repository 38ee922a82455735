// A FIFO concurrency limit shared by every request of a sweep, with lanes ahead of it for urgent tasks.
// Hand-written (a dozen lines) rather than a dependency: FIFO order is what keeps a sweep fair, and nothing
// installed offers exactly that. The lanes are for the probe: a fetch at a rendition's deadline goes ahead of the
// learning fetches queued for a slot (a frozen rendition must not wait behind a whole fleet's learning), and a
// confirming re-fetch (a rendition already seen stale or fresh again) ahead of the deadline fetches too.

/** Which lane a task waits in for a slot: every queued task of a higher urgency first, FIFO within a lane. */
export const URGENCY = { normal: 0, deadline: 1, confirm: 2 } as const;
export type Urgency = (typeof URGENCY)[keyof typeof URGENCY];

export class ConcurrencyLimit {
  #active = 0;
  /** Indexed by urgency. */
  readonly #lanes = [new Queue<() => void>(), new Queue<() => void>(), new Queue<() => void>()] as const;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#lanes.reduce((n, lane) => n + lane.length, 0);
  }

  /** Runs `task` when a slot is free; slots are handed out in arrival order, the most urgent lane first. */
  async run<T>(task: () => Promise<T>, urgency: Urgency = URGENCY.normal): Promise<T> {
    if (this.#active >= this.max) await new Promise<void>((resolve) => this.#lanes[urgency].push(resolve));
    else this.#active++;
    try {
      return await task();
    } finally {
      const [normal, deadline, confirm] = this.#lanes;
      const next = confirm.take() ?? deadline.take() ?? normal.take();
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

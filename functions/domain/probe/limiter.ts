// A FIFO concurrency limit shared by every request of a sweep, with one lane ahead of it for urgent tasks.
// Hand-written (a dozen lines) rather than a dependency: FIFO order is what keeps a sweep fair, and nothing
// installed offers exactly that. The urgent lane is for the probe's confirming re-fetches: a stale verdict
// waiting for its confirmation should not queue behind a whole fleet's deadlines falling due together.
export class ConcurrencyLimit {
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  readonly #urgent: Array<() => void> = [];

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
      const next = this.#urgent.shift() ?? this.#waiting.shift();
      // The slot passes straight to the next waiter, so #active stays the same.
      if (next) next();
      else this.#active--;
    }
  }
}

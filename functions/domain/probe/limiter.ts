// A FIFO concurrency limit shared by every request of a sweep, with lanes ahead of it for urgent tasks.
// Hand-written (a few dozen lines) rather than a dependency: FIFO order is what keeps a sweep fair, and nothing
// installed offers exactly that. The lanes are for the probe: a fetch at a rendition's deadline goes ahead of the
// learning fetches queued for a slot (a frozen rendition must not wait behind a whole fleet's learning), and a
// confirming re-fetch (a rendition already seen stale or fresh again) ahead of the deadline fetches too. A learning
// fetch still queued when its own deadline passes is a deadline fetch by then: it takes its turn among them, in
// arrival order, so an overloaded probe never starves the normal lane (a frozen rendition's learning fetch stuck
// there would hold back its detection for as long).

/** Which lane a task waits in for a slot: every queued task of a higher urgency first, FIFO within a lane. */
export const URGENCY = { normal: 0, deadline: 1, confirm: 2 } as const;
export type Urgency = (typeof URGENCY)[keyof typeof URGENCY];

export interface RunOptions {
  urgency?: Urgency;
  /** A normal task still queued this many ms from now counts as a deadline task (in arrival order); default never. */
  deadlineInMs?: number;
}

interface Waiter {
  start: () => void;
  /** Arrival order across lanes. */
  seq: number;
  /** performance.now() from which a normal task counts as a deadline task. */
  deadlineAt: number;
}

export class ConcurrencyLimit {
  #active = 0;
  #seq = 0;
  /** Indexed by urgency. */
  readonly #lanes = [new Queue<Waiter>(), new Queue<Waiter>(), new Queue<Waiter>()] as const;

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
  async run<T>(task: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    if (this.#active >= this.max) {
      const deadlineAt = performance.now() + (options.deadlineInMs ?? Number.POSITIVE_INFINITY);
      await new Promise<void>((start) => this.#lanes[options.urgency ?? URGENCY.normal].push({ start, seq: this.#seq++, deadlineAt }));
    } else this.#active++;
    try {
      return await task();
    } finally {
      const next = this.#next();
      // The slot passes straight to the next waiter, so #active stays the same.
      if (next) next.start();
      else this.#active--;
    }
  }

  #next(): Waiter | undefined {
    const [normal, deadline, confirm] = this.#lanes;
    if (confirm.length > 0) return confirm.take();
    const late = normal.peek();
    const first = deadline.peek();
    // The head of the normal lane past its deadline goes before the deadline tasks that arrived after it.
    if (late && late.deadlineAt <= performance.now() && (!first || late.seq < first.seq)) return normal.take();
    return deadline.take() ?? normal.take();
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

  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
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

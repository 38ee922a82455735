// A FIFO concurrency limit shared by every request of a sweep, with lanes ahead of it for urgent tasks.
// Hand-written (a few dozen lines) rather than a dependency: FIFO order is what keeps a sweep fair, and nothing
// installed offers exactly that. The lanes are for the probe: a fetch at a rendition's deadline goes ahead of the
// learning fetches queued for a slot (a frozen rendition must not wait behind a whole fleet's learning), and a
// confirming re-fetch (a rendition already seen stale or fresh again, or one late on its own at its deadline: see
// slotOptions in schedule.ts) ahead of the deadline fetches too. A learning
// fetch still queued when its own deadline passes is a deadline fetch by then: it takes its turn among them, in
// arrival order, so an overloaded probe never starves the normal lane (a frozen rendition's learning fetch stuck
// there would hold back its detection for as long). Learning tasks (normal ones with a deadline to wait for) may
// hold only some of the slots (learningMax): a slot waiting is not all an urgent fetch can wait for. Every request
// in flight is one more ahead of it in the origin's queue and in the event loop that reads the answers, and when a
// fleet's learning fills every slot (a late segment appears on every channel at once) an urgent fetch's round trip
// is as long as that whole backlog. A normal task without a deadline (a sweep's: no urgent fetch to make room for)
// is not held to that share.

/** Which lane a task waits in for a slot: every queued task of a higher urgency first, FIFO within a lane. */
export const URGENCY = { normal: 0, deadline: 1, confirm: 2 } as const;
export type Urgency = (typeof URGENCY)[keyof typeof URGENCY];

export interface RunOptions {
  urgency?: Urgency;
  /** A normal task still queued this many ms from now counts as a deadline task (in arrival order); default never. */
  deadlineInMs?: number;
}

interface Waiter {
  /** `learning`: it holds one of the learning tasks' slots (see #learningActive). */
  start: (learning: boolean) => void;
  /** A normal task with a deadline to wait for: held to learningMax until that deadline passes. */
  learning: boolean;
  /** Arrival order across lanes. */
  seq: number;
  /** performance.now() from which a normal task counts as a deadline task. */
  deadlineAt: number;
}

export class ConcurrencyLimit {
  #active = 0;
  /** Slots held by learning tasks that started before their deadline. */
  #learningActive = 0;
  #seq = 0;
  /** Indexed by urgency. */
  readonly #lanes = [new Queue<Waiter>(), new Queue<Waiter>(), new Queue<Waiter>()] as const;

  /** `learningMax`: the slots learning tasks may hold at once (one past its deadline is a deadline task). */
  constructor(
    readonly max: number,
    readonly learningMax = max,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
    if (!Number.isInteger(learningMax) || learningMax < 1 || learningMax > max)
      throw new RangeError(`the learning tasks' share must be an integer from 1 to ${max}, got ${learningMax}`);
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    const [normal, deadline, confirm] = this.#lanes;
    return normal.length + deadline.length + confirm.length;
  }

  /** Runs `task` when a slot is free; slots are handed out in arrival order, the most urgent lane first. */
  async run<T>(task: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const urgency = options.urgency ?? URGENCY.normal;
    const now = performance.now();
    const deadlineAt = now + (options.deadlineInMs ?? Number.POSITIVE_INFINITY);
    const late = deadlineAt <= now;
    const learning = urgency === URGENCY.normal && options.deadlineInMs !== undefined && !late;
    let holdsLearning: boolean;
    // Queued tasks go first (FIFO), so a task starts at once only when nothing waits.
    if (this.#active < this.max && this.queued === 0 && (!learning || this.#learningActive < this.learningMax)) {
      this.#take(learning);
      holdsLearning = learning;
    } else
      holdsLearning = await new Promise<boolean>((start) => {
        // Past its deadline already: a deadline task.
        this.#lanes[late ? (Math.max(urgency, URGENCY.deadline) as Urgency) : urgency].push({ start, learning, seq: this.#seq++, deadlineAt });
        // Free slots the normal lane may not take: an urgent task takes one at once.
        this.#startWaiting();
      });
    try {
      return await task();
    } finally {
      this.#active--;
      if (holdsLearning) this.#learningActive--;
      this.#startWaiting();
    }
  }

  #take(learning: boolean): void {
    this.#active++;
    if (learning) this.#learningActive++;
  }

  /** Hands the free slots to the waiting tasks, most urgent first. */
  #startWaiting(): void {
    while (this.#active < this.max) {
      const next = this.#next();
      if (!next) return;
      this.#take(next.learning);
      next.waiter.start(next.learning);
    }
  }

  #next(): { waiter: Waiter; learning: boolean } | undefined {
    const [normal, deadline, confirm] = this.#lanes;
    const urgent = (waiter: Waiter | undefined) => (waiter ? { waiter, learning: false } : undefined);
    if (confirm.length > 0) return urgent(confirm.take());
    const head = normal.peek();
    const first = deadline.peek();
    const headLate = head !== undefined && head.deadlineAt <= performance.now();
    // The head of the normal lane past its deadline goes before the deadline tasks that arrived after it.
    if (headLate && (!first || head.seq < first.seq)) return urgent(normal.take());
    if (first) return urgent(deadline.take());
    if (headLate) return urgent(normal.take());
    if (!head || (head.learning && this.#learningActive >= this.learningMax)) return undefined;
    return { waiter: normal.take() as Waiter, learning: head.learning };
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

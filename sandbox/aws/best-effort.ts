// Best-effort delivery of AWS service events (MediaLive Channel Alert / State Change) to the bus: each
// event is delayed independently (so two may arrive out of order), some are dropped and some arrive twice.
// The draws come from a seeded generator: the same seed loses and reorders the same events.
// Source: https://docs.aws.amazon.com/eventbridge/latest/ref/event-delivery-level.html
export interface BestEffortConfig {
  delayS: readonly [number, number];
  dropProbability: number;
  duplicateProbability: number;
}

export interface BestEffortStats {
  published: number;
  dropped: number;
  duplicated: number;
}

export class BestEffortDelivery<E> {
  readonly stats: BestEffortStats = { published: 0, dropped: 0, duplicated: 0 };
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly deliver: (event: E) => void,
    public config: BestEffortConfig,
    private readonly random: () => number,
  ) {}

  publish(event: E): void {
    this.stats.published++;
    if (this.random() < this.config.dropProbability) {
      this.stats.dropped++;
      return;
    }
    const copies = this.random() < this.config.duplicateProbability ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) this.later(event);
  }

  /** Resolves when every event published so far has been delivered (or dropped). */
  idle(): Promise<void> {
    if (this.timers.size === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.add(r));
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.release();
  }

  private later(event: E): void {
    const [min, max] = this.config.delayS;
    const ms = (min + (max - min) * this.random()) * 1000;
    if (ms <= 0) {
      this.deliver(event);
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.deliver(event);
      if (this.timers.size === 0) this.release();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private release(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
  }
}

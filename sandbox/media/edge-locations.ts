// What one CloudFront edge location's function sees of a KeyValueStore: a replica that receives each
// write a few seconds after it was made, independently of the other locations ("changes propagate to
// every edge location within seconds": https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions.html).
// Two writes of one key apply in write order even when their delays would cross.
export interface KvsVisible {
  location: number;
  key: string;
  value: string | undefined;
  /** Epoch ms the write became visible here. */
  at: number;
}

export class KvsReplica {
  private readonly items: Map<string, string>;
  private readonly applied = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;

  constructor(
    readonly location: number,
    snapshot: Record<string, string>,
    private readonly delayMs: () => number,
    private readonly onVisible: (v: KvsVisible) => void = () => undefined,
  ) {
    this.items = new Map(Object.entries(snapshot));
  }

  get(key: string): string | undefined {
    return this.items.get(key);
  }

  /** A write to the store: visible here after this location's delay. */
  write(key: string, value: string | undefined): void {
    const seq = ++this.seq;
    const apply = (): void => {
      if ((this.applied.get(key) ?? 0) > seq) return; // a later write already landed
      this.applied.set(key, seq);
      if (value === undefined) this.items.delete(key);
      else this.items.set(key, value);
      this.onVisible({ location: this.location, key, value, at: Date.now() });
    };
    const ms = this.delayMs();
    if (ms <= 0) return apply();
    const t = setTimeout(() => {
      this.timers.delete(t);
      apply();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

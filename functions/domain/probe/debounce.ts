// Debouncing per path: a path turns stale after `consecutive` stale ticks in a row and fresh again after
// `consecutive` fresh ticks in a row (sweep schedule; the deadline schedule debounces each rendition, see
// LadderDebouncer). Only a change of state is news; a blip never is.
export type Verdict = 'fresh' | 'stale' | 'unknown';
export type PathState = 'fresh' | 'stale' | 'unknown';

export class PathDebouncer {
  #state: PathState = 'unknown';
  #staleRun = 0;
  #freshRun = 0;

  /** announceInitialFresh: also announce the first settling into fresh (see observe()). */
  constructor(
    readonly consecutive: number,
    readonly announceInitialFresh = false,
  ) {
    if (!Number.isInteger(consecutive) || consecutive < 1) throw new RangeError(`consecutive must be a positive integer, got ${consecutive}`);
  }

  get state(): PathState {
    return this.#state;
  }

  /** Length of the current run of identical verdicts (stale or fresh). */
  get run(): { stale: number; fresh: number } {
    return { stale: this.#staleRun, fresh: this.#freshRun };
  }

  /**
   * Feeds one tick's verdict; returns the new state when it changed and the change is worth announcing.
   * The first settling into `fresh` (from `unknown`, e.g. after a cold start) is not announced: a healthy
   * fleet must not flood the bus every time a probe container starts (unless announceInitialFresh: a consumer
   * that must learn of a recovery which happened while no probe held state). Settling into `stale` always is.
   * An `unknown` verdict (no wall clock yet, e.g. the first look at a playlist without PDT) is no evidence
   * either way and leaves the runs as they are.
   */
  observe(verdict: Verdict): PathState | null {
    if (verdict === 'unknown') return null;
    if (verdict === 'stale') {
      this.#staleRun++;
      this.#freshRun = 0;
      if (this.#state !== 'stale' && this.#staleRun >= this.consecutive) {
        this.#state = 'stale';
        return 'stale';
      }
      return null;
    }
    this.#freshRun++;
    this.#staleRun = 0;
    if (this.#state !== 'fresh' && this.#freshRun >= this.consecutive) {
      const announce = this.#state === 'stale' || this.announceInitialFresh;
      this.#state = 'fresh';
      return announce ? 'fresh' : null;
    }
    return null;
  }
}

/**
 * Deadline schedule: `consecutive` is the number of confirming fetches of the SAME rendition (a different
 * rendition is a different playlist, and on the edge a different cached object, so it confirms nothing). One
 * debouncer per rendition, each needing the first verdict plus `consecutive` confirmations; the path is stale
 * as soon as one rendition is (the oldest decides), fresh once every rendition is, and otherwise keeps its
 * state (a rendition new to the ladder, not settled yet, changes nothing). What is announced follows
 * PathDebouncer: settling into stale always, into fresh only from stale (or with announceInitialFresh).
 */
export class LadderDebouncer {
  readonly #renditions = new Map<string, PathDebouncer>();
  #state: PathState = 'unknown';

  constructor(
    readonly consecutive: number,
    readonly announceInitialFresh = false,
  ) {
    if (!Number.isInteger(consecutive) || consecutive < 0) throw new RangeError(`consecutive must be a non-negative integer, got ${consecutive}`);
  }

  get state(): PathState {
    return this.#state;
  }

  /** The deciding runs: the longest stale run of any rendition, the shortest fresh run of all of them. */
  get run(): { stale: number; fresh: number } {
    let stale = 0;
    let fresh = Number.POSITIVE_INFINITY;
    for (const d of this.#renditions.values()) {
      stale = Math.max(stale, d.run.stale);
      fresh = Math.min(fresh, d.run.fresh);
    }
    return { stale, fresh: this.#renditions.size === 0 ? 0 : fresh };
  }

  stateOf(rendition: string): PathState {
    return this.#renditions.get(rendition)?.state ?? 'unknown';
  }

  /** The renditions the path lists now: new ones start unsettled, the others are forgotten. */
  track(renditions: readonly string[]): void {
    if (renditions.length === this.#renditions.size && renditions.every((r) => this.#renditions.has(r))) return;
    const keep = new Set(renditions);
    for (const r of this.#renditions.keys()) if (!keep.has(r)) this.#renditions.delete(r);
    for (const r of renditions) if (!this.#renditions.has(r)) this.#renditions.set(r, new PathDebouncer(this.consecutive + 1));
  }

  /** One fetch of one rendition (tracked or not: an untracked one starts tracking). */
  observe(rendition: string, verdict: Verdict): void {
    let d = this.#renditions.get(rendition);
    if (!d) this.#renditions.set(rendition, (d = new PathDebouncer(this.consecutive + 1)));
    d.observe(verdict);
  }

  /** The path's state from its renditions'; returns it when it changed and the change is worth announcing. */
  settle(): PathState | null {
    const states = [...this.#renditions.values()].map((d) => d.state);
    const next = states.includes('stale') ? 'stale' : states.length > 0 && states.every((s) => s === 'fresh') ? 'fresh' : this.#state;
    if (next === this.#state) return null;
    const previous = this.#state;
    this.#state = next;
    if (next === 'stale') return 'stale';
    return previous === 'stale' || this.announceInitialFresh ? 'fresh' : null;
  }
}

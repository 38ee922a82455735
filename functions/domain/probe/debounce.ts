// Debouncing per path: a path turns stale after `consecutive` stale ticks in a row and fresh again after
// `consecutive` fresh ticks in a row. Only a change of state is news; a blip never is.
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

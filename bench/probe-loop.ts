// The probe loop of the probe benchmark, one builder for both of its layouts (the whole fleet in the bench's
// process, one shard per process in bench/probe-shard.ts): the loop functions/probe/handler.ts builds for a shard
// (createProbeLoop over the shard's channels, the deadline schedule, a 2 s tick, the handler's fetcher options,
// EMF emitted after every tick), with a publisher that reports each Manifest Stale instead of putting it on a bus,
// and a fetcher that counts what it is asked for while the caller counts.
import {
  createFetcher,
  createProbeLoop,
  URGENCY,
  WHOLE_FLEET,
  type Fetcher,
  type ProbeLoop,
  type Shard,
  type TickReport,
} from '../functions/domain/probe/index.js';
import { emitTickMetrics } from '../functions/probe/metrics.js';
import type { fleet } from '../sandbox/testkit/fleet.js';

export interface BenchLoopCounts {
  fetches: number;
  fetchErrors: number;
  longestTickMs: number;
  /** Each observed path's latest fetch lag per report, ms. */
  fetchLags: number[];
  /** Requests that took one of the limiter's urgent lanes (a deadline fetch or a confirmation). */
  urgentFetches: number;
  /** Per lane of the limiter (normal, deadline, confirm): each request's wait for a slot and its round trip, ms. */
  lanes: LaneTimes[];
}

export interface LaneTimes {
  waits: number[];
  trips: number[];
  /** Requests in flight when it was asked for: each is ahead of it in the origin's queue and the event loop's. */
  ahead: number[];
}

export interface BenchLoop {
  loop: ProbeLoop;
  /** Every channel of the loop fresh on its 3 paths. */
  allFresh(): boolean;
  /** Starts counting from zero (until then nothing is counted). */
  startCounting(): void;
  readonly counts: BenchLoopCounts;
  /** Stops the loop and closes its fetcher. */
  close(): Promise<void>;
}

export function benchLoop(options: { registry: ReturnType<typeof fleet>; shard?: Shard; onStale: (key: string, at: number) => void }): BenchLoop {
  const shard = options.shard ?? WHOLE_FLEET;
  const shardKey = `${shard.index}/${shard.count}`;
  let counting = false;
  const noLanes = (): LaneTimes[] => Object.values(URGENCY).map(() => ({ waits: [], trips: [], ahead: [] }));
  const counts: BenchLoopCounts = { fetches: 0, fetchErrors: 0, longestTickMs: 0, fetchLags: [], urgentFetches: 0, lanes: noLanes() };
  // The handler's fetcher options (PROBE_TIMEOUT_MS, PROBE_CONCURRENCY defaults).
  const own = createFetcher({ timeoutMs: 1500, concurrency: 256 });
  const fetcher: Fetcher = {
    limit: own.limit,
    close: () => own.close(),
    async get(url, o) {
      const lane = o?.urgency ?? URGENCY.normal;
      if (!counting) return own.get(url, o);
      if (lane > URGENCY.normal) counts.urgentFetches++;
      const ahead = own.limit.active;
      const result = await own.get(url, o);
      // The round trip until this continuation runs: a busy event loop shows here, as it does in a detection.
      const times = counts.lanes[lane] as LaneTimes;
      times.waits.push(result.queuedMs);
      times.trips.push(performance.now() - result.startedAt);
      times.ahead.push(ahead);
      return result;
    },
  };
  const loop = createProbeLoop({
    registry: options.registry,
    tickMs: 2000,
    schedule: 'deadline',
    shard,
    publish: async (transitions) => {
      const at = Date.now();
      for (const t of transitions) if (t.detail.state === 'stale') options.onStale(`${t.detail.channelId}/${t.detail.path}`, at);
    },
    announceInitialFresh: false,
    fetcher,
    onTick: (r: TickReport) => {
      emitTickMetrics(r, shardKey); // what the handler does after every tick
      counts.longestTickMs = Math.max(counts.longestTickMs, r.durationMs);
      if (!counting) return;
      counts.fetches += r.fetches;
      counts.fetchErrors += r.fetchErrors;
      for (const c of r.channels) for (const p of Object.values(c.paths)) if (p.observed && p.fetchLagMs !== null) counts.fetchLags.push(p.fetchLagMs);
    },
  });
  return {
    loop,
    allFresh: () => loop.lastReport?.channels.every((c) => Object.values(c.paths).length === 3 && Object.values(c.paths).every((p) => p.state === 'fresh')) === true,
    startCounting() {
      counting = true;
      Object.assign(counts, { fetches: 0, fetchErrors: 0, longestTickMs: 0, fetchLags: [], urgentFetches: 0, lanes: noLanes() });
    },
    counts,
    async close() {
      await loop.close();
      await fetcher.close();
    },
  };
}

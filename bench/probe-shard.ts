// One probe shard in a process of its own (child_process.fork from probe.bench.ts), as production runs each
// shard in its own Lambda invocation: the loop built as functions/probe/handler.ts builds it for {shard: "i/n"}
// (createProbeLoop over the shard's channels, the deadline schedule, the handler's fetcher defaults, EMF emitted
// after every tick; the fetcher counts the requests that take the urgent lane), with a publisher that hands the shard's transitions to the parent instead of EventBridge.
// Messages in: {type:'start', base, ids, shard, policy} / {type:'count'} (start counting fetches and CPU) / {type:'stop'}.
// Messages out: {type:'settled', fresh} (every channel of the shard fresh on 3 paths, or the warm-up is over),
// {type:'stale', key: "<channel>/<path>", at} per Manifest Stale, {type:'done', ...ShardTotals}.
import { createFetcher, createProbeLoop, parseShard, URGENCY, type Fetcher, type TickReport } from '../functions/domain/probe/index.js';
import { emitTickMetrics } from '../functions/probe/metrics.js';
import { fleet } from '../sandbox/testkit/fleet.js';

export interface ShardStart {
  type: 'start';
  base: string;
  ids: string[];
  shard: string;
  policy: Record<string, unknown>;
  warmUpMaxMs: number;
}

export interface ShardTotals {
  shard: string;
  channels: number;
  fetches: number;
  fetchErrors: number;
  /** User + system CPU of this process while counting, µs. */
  cpuUs: number;
  seconds: number;
  longestTickMs: number;
  /**
   * How late the shard's fetches left after they were due (each path's latest per report, ms): the wait for a
   * tick and for one of the fetcher's concurrency slots. Every detection is late by at least this much.
   */
  fetchLagP50Ms: number;
  fetchLagP95Ms: number;
  /** Requests that took one of the limiter's urgent lanes (a deadline fetch or a confirmation) while counting. */
  urgentFetches: number;
}

export type FromShard = { type: 'settled'; fresh: boolean } | { type: 'stale'; key: string; at: number } | ({ type: 'done' } & ShardTotals);
export type ToShard = ShardStart | { type: 'count' } | { type: 'stop' };

const send = (m: FromShard): void => void process.send?.(m);

function runShard(start: ShardStart): void {
  const shard = parseShard(start.shard);
  const shardKey = `${shard.index}/${shard.count}`;
  let counting = false;
  let fetches = 0;
  let fetchErrors = 0;
  let longestTickMs = 0;
  const fetchLags: number[] = [];
  let urgentFetches = 0;
  // The handler's fetcher options; the requests that jump the slot queue are counted on the way.
  const own = createFetcher({ timeoutMs: 1500, concurrency: 256 });
  const fetcher: Fetcher = {
    limit: own.limit,
    close: () => own.close(),
    get(url, options) {
      if (counting && (options?.urgency ?? URGENCY.normal) > URGENCY.normal) urgentFetches++;
      return own.get(url, options);
    },
  };
  let cpuFrom = process.cpuUsage();
  let countFrom = performance.now();
  // The handler's loop for this shard (handler.ts loopFor): registry, shard, deadline schedule, tick, fetcher options.
  const loop = createProbeLoop({
    registry: fleet(start.base, start.ids, start.policy),
    tickMs: 2000,
    schedule: 'deadline',
    shard,
    publish: async (transitions) => {
      const at = Date.now();
      for (const t of transitions) if (t.detail.state === 'stale') send({ type: 'stale', key: `${t.detail.channelId}/${t.detail.path}`, at });
    },
    announceInitialFresh: false,
    fetcher,
    onTick: (r: TickReport) => {
      emitTickMetrics(r, shardKey); // what the handler does after every tick
      longestTickMs = Math.max(longestTickMs, r.durationMs);
      if (!counting) return;
      fetches += r.fetches;
      fetchErrors += r.fetchErrors;
      for (const c of r.channels) for (const p of Object.values(c.paths)) if (p.observed && p.fetchLagMs !== null) fetchLags.push(p.fetchLagMs);
    },
  });
  loop.start();
  const allFresh = () => loop.lastReport?.channels.every((c) => Object.values(c.paths).length === 3 && Object.values(c.paths).every((p) => p.state === 'fresh')) === true;
  const settledBy = Date.now() + start.warmUpMaxMs;
  const poll = setInterval(() => {
    if (!allFresh() && Date.now() < settledBy) return;
    clearInterval(poll);
    send({ type: 'settled', fresh: allFresh() });
  }, 250);

  process.on('message', (m: ToShard) => {
    if (m.type === 'count') {
      counting = true;
      cpuFrom = process.cpuUsage();
      countFrom = performance.now();
      longestTickMs = 0;
      fetchLags.length = 0;
      urgentFetches = 0;
    } else if (m.type === 'stop') {
      const cpu = process.cpuUsage(cpuFrom);
      const seconds = (performance.now() - countFrom) / 1000;
      clearInterval(poll);
      void loop.close().then(async () => {
        await fetcher.close();
        send({
          type: 'done',
          shard: shardKey,
          channels: loop.channelIds.length,
          fetches,
          fetchErrors,
          cpuUs: cpu.user + cpu.system,
          seconds,
          longestTickMs,
          fetchLagP50Ms: percentile(fetchLags, 50),
          fetchLagP95Ms: percentile(fetchLags, 95),
          urgentFetches,
        });
        process.disconnect();
      });
    }
  });
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN);
}

process.once('message', (m: ToShard) => {
  if (m.type === 'start') runShard(m);
});

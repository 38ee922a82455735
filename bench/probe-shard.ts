// One probe shard in a process of its own (child_process.fork from probe.bench.ts), as production runs each
// shard in its own Lambda invocation: the loop built as functions/probe/handler.ts builds it for {shard: "i/n"}
// (bench/probe-loop.ts), its Manifest Stale handed to the parent instead of EventBridge.
// Messages in: {type:'start', base, ids, shard, policy} / {type:'count'} (start counting fetches and CPU) / {type:'stop'}.
// Messages out: {type:'settled', fresh} (every channel of the shard fresh on 3 paths, or the warm-up is over),
// {type:'stale', key: "<channel>/<path>", at} per Manifest Stale, {type:'done', ...ShardTotals}.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseShard } from '../functions/domain/probe/index.js';
import { fleet } from '../sandbox/testkit/fleet.js';
import { benchLoop } from './probe-loop.js';

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
  /** Per lane (normal, deadline, confirm): requests, p50/p95 of their wait for a slot and of their round trip (ms), of the requests in flight when asked. */
  lanes: Array<{ requests: number; waitP50Ms: number; waitP95Ms: number; tripP50Ms: number; tripP95Ms: number; aheadP50: number; aheadP95: number }>;
  /** How late the event loop ran what was due (timers, I/O callbacks), p99 and max, ms. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

export type FromShard = { type: 'settled'; fresh: boolean } | { type: 'stale'; key: string; at: number } | ({ type: 'done' } & ShardTotals);
export type ToShard = ShardStart | { type: 'count' } | { type: 'stop' };

const send = (m: FromShard): void => void process.send?.(m);

function runShard(start: ShardStart): void {
  const shard = parseShard(start.shard);
  const bench = benchLoop({ registry: fleet(start.base, start.ids, start.policy), shard, onStale: (key, at) => send({ type: 'stale', key, at }) });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  let cpuFrom = process.cpuUsage();
  let countFrom = performance.now();
  bench.loop.start();
  const settledBy = Date.now() + start.warmUpMaxMs;
  const poll = setInterval(() => {
    if (!bench.allFresh() && Date.now() < settledBy) return;
    clearInterval(poll);
    send({ type: 'settled', fresh: bench.allFresh() });
  }, 250);

  process.on('message', (m: ToShard) => {
    if (m.type === 'count') {
      bench.startCounting();
      loopDelay.enable();
      cpuFrom = process.cpuUsage();
      countFrom = performance.now();
    } else if (m.type === 'stop') {
      const cpu = process.cpuUsage(cpuFrom);
      const seconds = (performance.now() - countFrom) / 1000;
      loopDelay.disable();
      clearInterval(poll);
      void bench.close().then(() => {
        const { fetches, fetchErrors, longestTickMs, fetchLags, urgentFetches, lanes } = bench.counts;
        send({
          type: 'done',
          shard: `${shard.index}/${shard.count}`,
          channels: bench.loop.channelIds.length,
          fetches,
          fetchErrors,
          cpuUs: cpu.user + cpu.system,
          seconds,
          longestTickMs,
          fetchLagP50Ms: percentile(fetchLags, 50),
          fetchLagP95Ms: percentile(fetchLags, 95),
          urgentFetches,
          lanes: lanes.map((l) => ({
            requests: l.trips.length,
            waitP50Ms: percentile(l.waits, 50),
            waitP95Ms: percentile(l.waits, 95),
            tripP50Ms: percentile(l.trips, 50),
            tripP95Ms: percentile(l.trips, 95),
            aheadP50: percentile(l.ahead, 50),
            aheadP95: percentile(l.ahead, 95),
          })),
          eventLoopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e6),
          eventLoopDelayMaxMs: Math.round(loopDelay.max / 1e6),
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

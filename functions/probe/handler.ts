// The probe Lambda (scheduled every minute). One invocation runs probe ticks until the remaining time runs
// low, so detection is sub-minute on a 1-minute schedule: a tick whenever a rendition is due (deadline
// schedule, see functions/domain/probe/path-probe.ts), at least every PROBE_TICK_MS. A deadline tick only starts
// fetches: each is in flight on its own and its result is published as soon as it is back. The loop and its state
// (debounce runs, rendition trackers, keep-alive connections) live in module scope: they carry over ticks
// and warm invocations.
//
// Environment:
//   FLATLINE_REGISTRY / FLATLINE_STAGE  the channel registry (functions/domain/registry)
//   PROBE_TICK_MS       longest time between ticks, default 2000
//   PROBE_SCHEDULE      "deadline" (default: each rendition when due) or "sweep" (every rendition every tick)
//   PROBE_MARGIN_MS     stop when less than this (plus one tick) remains, default 3000
//   PROBE_SHARD         "i/n", default "0/1" (the event's {shard: "i/n"} wins)
//   PROBE_TIMEOUT_MS    per-request deadline, default 1500
//   PROBE_CONCURRENCY   requests in flight, default 256
//   EVENT_BUS_NAME      where `Manifest Stale` / `Manifest Fresh` go, default "default"
//   PROBE_ANNOUNCE_INITIAL_FRESH  "true": a new container also announces paths settling into fresh (a
//                       recovery during a container swap is then never missed; costs one event per path)
// Metrics: see ./metrics.ts (ManifestAge etc., dimensions exactly {Channel, Path}, high resolution).
import type { Context } from 'aws-lambda';
import { InvalidInputError } from '../domain/errors.js';
import { createProbeLoop, eventBridgePublisher, MIN_TICK_GAP_MS, parseShard, type ProbeLoop, type Shard, type TickReport } from '../domain/probe/index.js';
import { loadRegistry } from '../domain/registry/index.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { awsClient } from '../lib/aws-clients.js';
import { lambda, logger, metrics } from '../lib/lambda.js';
import { emitTickMetrics, flushShardMetrics, recordProbeError } from './metrics.js';

export interface ProbeEvent {
  /** "i/n": probe only the channels of shard i of n. */
  shard?: string;
}

export interface ProbeResult {
  shard: string;
  channels: number;
  ticks: number;
  transitions: number;
  fetches: number;
  fetchErrors: number;
}

const loops = new Map<string, ProbeLoop>();

/** The registry's `critical: true` channels: they keep their own ManifestAge series (and alarms) at all times. */
const criticalByRegistry = new WeakMap<object, ReadonlySet<string>>();
const criticalChannels = (): ReadonlySet<string> => {
  const registry = loadRegistry();
  let critical = criticalByRegistry.get(registry);
  if (!critical) criticalByRegistry.set(registry, (critical = new Set(registry.channels.filter((c) => c.critical).map((c) => c.id))));
  return critical;
};

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidInputError(`${name}="${raw}" is not a positive number`, { [name]: raw });
  return n;
}

function scheduleFromEnv(): 'deadline' | 'sweep' {
  const raw = process.env.PROBE_SCHEDULE ?? 'deadline';
  if (raw !== 'deadline' && raw !== 'sweep') throw new InvalidInputError(`PROBE_SCHEDULE="${raw}" is not "deadline" or "sweep"`, { PROBE_SCHEDULE: raw });
  return raw;
}

function loopFor(shard: Shard, tickMs: number): ProbeLoop {
  const key = `${shard.index}/${shard.count}`;
  let loop = loops.get(key);
  if (!loop) {
    loop = createProbeLoop({
      registry: loadRegistry(),
      tickMs,
      schedule: scheduleFromEnv(),
      shard,
      publish: eventBridgePublisher(awsClient(EventBridgeClient, 'probe'), process.env.EVENT_BUS_NAME ?? 'default'),
      announceInitialFresh: process.env.PROBE_ANNOUNCE_INITIAL_FRESH === 'true',
      fetcherOptions: { timeoutMs: envNumber('PROBE_TIMEOUT_MS', 1500), concurrency: envNumber('PROBE_CONCURRENCY', 256) },
      onError: (err, where) => {
        recordProbeError(key);
        logger.error('probe error', { ...where, shard: key, error: err as Error });
      },
    });
    loops.set(key, loop);
  }
  return loop;
}

export async function probe(event: ProbeEvent | undefined, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ProbeResult> {
  const shardText = event?.shard ?? process.env.PROBE_SHARD ?? '0/1';
  const shard = parseShard(shardText);
  // The Shard dimension as the alarm names it (deploy/alarms.ts): "i/n", whatever spacing the event used.
  const shardKey = `${shard.index}/${shard.count}`;
  const tickMs = envNumber('PROBE_TICK_MS', 2000);
  const marginMs = envNumber('PROBE_MARGIN_MS', 3000);
  const loop = loopFor(shard, tickMs);
  const result: ProbeResult = { shard: shardText, channels: loop.channelIds.length, ticks: 0, transitions: 0, fetches: 0, fetchErrors: 0 };
  const timeoutMs = envNumber('PROBE_TIMEOUT_MS', 1500);
  const account = (report: TickReport): void => {
    emitTickMetrics(report, shardKey, criticalChannels());
    result.ticks++;
    result.transitions += report.transitions.length;
    result.fetches += report.fetches;
    result.fetchErrors += report.fetchErrors;
    for (const t of report.transitions) logger.info(t.detailType, { ...t.detail });
  };
  let slowest = 0;
  for (;;) {
    const started = performance.now();
    account(await loop.tick());
    slowest = Math.max(slowest, performance.now() - started);
    // The longest the loop may sleep before the next tick (deadline: the next due fetch, at most tickMs away).
    const wait = loop.schedule === 'sweep' ? tickMs : Math.max(MIN_TICK_GAP_MS, loop.nextDueIn());
    // Another tick only if it can finish (as slowly as the slowest so far) before the margin; the deadline
    // schedule's ticks never wait for a fetch, so what they started may take up to a fetch timeout to come back.
    const tail = loop.schedule === 'sweep' ? slowest : slowest + timeoutMs;
    if (context.getRemainingTimeInMillis() < marginMs + wait + tail) break;
    await loop.untilNextTick();
  }
  // The deadline schedule's fetches still in flight: their results (and transitions) belong to this invocation.
  const last = await loop.settled();
  if (last.fetches > 0 || last.transitions.length > 0) account(last);
  flushShardMetrics(shardKey);
  // On the invocation's own metrics (published by the lambda() middleware, default dimension service).
  metrics.addMetric('ProbeTicks', MetricUnit.Count, result.ticks);
  logger.info('probe invocation done', { ...result });
  return result;
}

export const handler = lambda<ProbeEvent | undefined, ProbeResult>(probe);

/** Closes the loops kept across invocations (tests and the sandbox call it when they tear down). */
export async function closeProbeLoops(): Promise<void> {
  const all = [...loops.values()];
  loops.clear();
  await Promise.all(all.map((l) => l.close()));
}

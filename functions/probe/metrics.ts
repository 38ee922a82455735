// EMF metrics of a probe tick, one document per channel and path.
//
// Emitted (namespace POWERTOOLS_METRICS_NAMESPACE, 'Flatline' by default), dimensions EXACTLY {Channel, Path}
// (Path = edge | primary | standby; Powertools' default `service` dimension is cleared), resolution High (1 s):
//   ManifestAge  Milliseconds  age of the path's OLDEST rendition; omitted when a fetch failed or no rendition
//                              has a wall clock, so an alarm that treats missing data as breaching fires
//   FetchErrors  Count         failed or timed-out requests of the path in this tick
//   Problems     Count         stream-contract / caching problems seen on the path in this tick
//   Stale        Count         1 when the debounced state of the path is stale, else 0
// and per shard, dimensions exactly {Shard} ("i/n"), resolution High, aggregated over at most SHARD_WINDOW_MS of
// ticks (the deadline schedule ticks whenever a rendition is due, up to every 25 ms) and flushed at the end of
// an invocation:
//   Heartbeat     Count         ticks run: the shard is probing. deploy/alarms.ts pages when it is missing
//                               (missing data is breaching): a dead or stuck probe otherwise goes unnoticed, as
//                               triage reads the ManifestAge alarms it causes as channels that are fine
//   SweepDuration Milliseconds  the longest tick of the window (size shards so it stays well under PROBE_TICK_MS)
//   Transitions   Count         Manifest Stale / Manifest Fresh events put on the bus
//   ProbeErrors   Count         a channel's probe or the publisher threw (recordProbeError): the loop went on
// and, on the invocation's shared metrics (dimension service): ProbeTicks (ticks run by the invocation).
import { Metrics, MetricResolution, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TickReport } from '../domain/probe/index.js';

export const METRIC_DIMENSIONS = ['Channel', 'Path'] as const;

let probeMetrics: Metrics | undefined;

/** Built on first use so that the environment (POWERTOOLS_METRICS_DISABLED, namespace) is read at run time. */
function instance(): Metrics {
  if (!probeMetrics) {
    probeMetrics = new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Flatline',
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'flatline',
    });
    probeMetrics.clearDefaultDimensions();
  }
  return probeMetrics;
}

/** Shard metrics are aggregated over this much time before they are written. */
export const SHARD_WINDOW_MS = 1000;

interface ShardWindow {
  startedAt: number;
  ticks: number;
  longestTickMs: number;
  transitions: number;
  errors: number;
}

const windows = new Map<string, ShardWindow>();

function windowOf(shard: string): ShardWindow {
  let w = windows.get(shard);
  if (!w) {
    w = { startedAt: Date.now(), ticks: 0, longestTickMs: 0, transitions: 0, errors: 0 };
    windows.set(shard, w);
  }
  return w;
}

/** A channel's probe or the publisher threw: counted into the shard's ProbeErrors. */
export function recordProbeError(shard = '0/1'): void {
  windowOf(shard).errors++;
}

/** Writes the shard's aggregated metrics now (the end of an invocation), if anything happened since the last. */
export function flushShardMetrics(shard = '0/1'): void {
  const w = windows.get(shard);
  if (!w || (w.ticks === 0 && w.errors === 0)) return;
  windows.delete(shard);
  const m = instance();
  m.addDimension('Shard', shard);
  m.addMetric('Heartbeat', MetricUnit.Count, w.ticks, MetricResolution.High);
  m.addMetric('SweepDuration', MetricUnit.Milliseconds, Math.round(w.longestTickMs), MetricResolution.High);
  m.addMetric('Transitions', MetricUnit.Count, w.transitions, MetricResolution.High);
  m.addMetric('ProbeErrors', MetricUnit.Count, w.errors, MetricResolution.High);
  m.publishStoredMetrics();
}

export function emitTickMetrics(report: TickReport, shard = '0/1'): void {
  const m = instance();
  for (const channel of report.channels) {
    for (const p of Object.values(channel.paths)) {
      if (!p.observed) continue; // not fetched in this tick (deadline schedule): its metrics went out when it was
      m.addDimension('Channel', channel.channelId);
      m.addDimension('Path', p.path);
      if (p.ageMs !== null && p.fetchErrors === 0) m.addMetric('ManifestAge', MetricUnit.Milliseconds, p.ageMs, MetricResolution.High);
      m.addMetric('FetchErrors', MetricUnit.Count, p.fetchErrors, MetricResolution.High);
      const problems = p.problems.length + p.renditions.reduce((n, r) => n + r.problems.length, 0);
      m.addMetric('Problems', MetricUnit.Count, problems, MetricResolution.High);
      m.addMetric('Stale', MetricUnit.Count, p.state === 'stale' ? 1 : 0, MetricResolution.High);
      m.publishStoredMetrics();
    }
  }
  const w = windowOf(shard);
  w.ticks++;
  w.longestTickMs = Math.max(w.longestTickMs, report.durationMs);
  w.transitions += report.transitions.length;
  if (Date.now() - w.startedAt >= SHARD_WINDOW_MS) flushShardMetrics(shard);
}

// EMF metrics of the probe. A fleet of 1,000 channels must not cost a document per channel and path every
// tick nor 12 metrics per channel: the shard's aggregates go out once per window, and a channel's own
// documents only while it needs them (deploy/cost.ts counts what this emits).
//
// Per channel, only while it is critical (registry `critical: true`), stale or suspect on any path, and on
// the tick it is fresh again (so its series comes back under the threshold) — custom metrics are billed per
// hour they are published — one document per observed path, namespace POWERTOOLS_METRICS_NAMESPACE
// ('Flatline' by default), dimensions EXACTLY {Channel, Path} (Path = edge | primary | standby; Powertools'
// default `service` dimension is cleared), resolution High (1 s):
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
//   FetchLag      Milliseconds  the latest start of a fetch after it was due, over the fetches back in the window
//                               (due -> request start: the wait for a tick and for a concurrency slot). A shard
//                               that cannot keep up starts its fetches late and every deadline slips by as much:
//                               size shards so it stays a small part of a target duration (0: nothing late)
//   Transitions   Count         Manifest Stale / Manifest Fresh events put on the bus
//   ProbeErrors   Count         a channel's probe or the publisher threw (recordProbeError): the loop went on
// and in the same window, dimensions exactly {Shard, Path}:
//   StaleChannels   Count         the most channels whose path was stale (debounced) in a tick of the window
//   MaxManifestAge  Milliseconds  the oldest ManifestAge observed on the path in the window
//   FetchErrors / Problems  Count  summed over the shard's observed paths
// and, on the invocation's shared metrics (dimension service): ProbeTicks (ticks run by the invocation).
import { Metrics, MetricResolution, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TickReport } from '../domain/probe/index.js';

export const METRIC_DIMENSIONS = ['Channel', 'Path'] as const;
export const SHARD_PATH_DIMENSIONS = ['Shard', 'Path'] as const;

/** Channels that had their own documents last tick: they get one more when they are fresh again. */
const reporting = new Set<string>();

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
  fetchLagMs: number;
  transitions: number;
  errors: number;
  paths: Map<string, PathWindow>;
}

interface PathWindow {
  stale: number;
  maxAgeMs: number | null;
  fetchErrors: number;
  problems: number;
}

const windows = new Map<string, ShardWindow>();

function windowOf(shard: string): ShardWindow {
  let w = windows.get(shard);
  if (!w) {
    w = { startedAt: Date.now(), ticks: 0, fetchLagMs: 0, transitions: 0, errors: 0, paths: new Map() };
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
  m.addMetric('FetchLag', MetricUnit.Milliseconds, Math.round(w.fetchLagMs), MetricResolution.High);
  m.addMetric('Transitions', MetricUnit.Count, w.transitions, MetricResolution.High);
  m.addMetric('ProbeErrors', MetricUnit.Count, w.errors, MetricResolution.High);
  m.publishStoredMetrics();
  for (const [path, p] of w.paths) {
    m.addDimension('Shard', shard);
    m.addDimension('Path', path);
    m.addMetric('StaleChannels', MetricUnit.Count, p.stale, MetricResolution.High);
    if (p.maxAgeMs !== null) m.addMetric('MaxManifestAge', MetricUnit.Milliseconds, p.maxAgeMs, MetricResolution.High);
    m.addMetric('FetchErrors', MetricUnit.Count, p.fetchErrors, MetricResolution.High);
    m.addMetric('Problems', MetricUnit.Count, p.problems, MetricResolution.High);
    m.publishStoredMetrics();
  }
}

type ChannelReport = TickReport['channels'][number];
const needsOwnMetrics = (channel: ChannelReport, critical: ReadonlySet<string>): boolean =>
  critical.has(channel.channelId) || Object.values(channel.paths).some((p) => p.state === 'stale' || p.verdict === 'stale');
const problemsOf = (p: NonNullable<ChannelReport['paths'][keyof ChannelReport['paths']]>): number =>
  p.problems.length + p.renditions.reduce((n, r) => n + r.problems.length, 0);

/** Folds a tick into the shard's per-path window. */
function aggregate(w: ShardWindow, report: TickReport): void {
  const stale = new Map<string, number>();
  for (const channel of report.channels) {
    for (const p of Object.values(channel.paths)) {
      const agg = w.paths.get(p.path) ?? { stale: 0, maxAgeMs: null, fetchErrors: 0, problems: 0 };
      w.paths.set(p.path, agg);
      stale.set(p.path, (stale.get(p.path) ?? 0) + (p.state === 'stale' ? 1 : 0));
      if (!p.observed) continue;
      if (p.fetchLagMs !== null) w.fetchLagMs = Math.max(w.fetchLagMs, p.fetchLagMs);
      if (p.ageMs !== null && p.fetchErrors === 0) agg.maxAgeMs = Math.max(agg.maxAgeMs ?? 0, p.ageMs);
      agg.fetchErrors += p.fetchErrors;
      agg.problems += problemsOf(p);
    }
  }
  for (const [path, n] of stale) w.paths.get(path)!.stale = Math.max(w.paths.get(path)!.stale, n);
}

export function emitTickMetrics(report: TickReport, shard = '0/1', critical: ReadonlySet<string> = new Set()): void {
  const m = instance();
  for (const channel of report.channels) {
    const needed = needsOwnMetrics(channel, critical);
    if (!needed && !reporting.has(channel.channelId)) continue;
    if (needed) reporting.add(channel.channelId);
    else reporting.delete(channel.channelId);
    for (const p of Object.values(channel.paths)) {
      if (!p.observed) continue; // not fetched in this tick (deadline schedule): its metrics went out when it was
      m.addDimension('Channel', channel.channelId);
      m.addDimension('Path', p.path);
      if (p.ageMs !== null && p.fetchErrors === 0) m.addMetric('ManifestAge', MetricUnit.Milliseconds, p.ageMs, MetricResolution.High);
      m.addMetric('FetchErrors', MetricUnit.Count, p.fetchErrors, MetricResolution.High);
      m.addMetric('Problems', MetricUnit.Count, problemsOf(p), MetricResolution.High);
      m.addMetric('Stale', MetricUnit.Count, p.state === 'stale' ? 1 : 0, MetricResolution.High);
      m.publishStoredMetrics();
    }
  }
  const w = windowOf(shard);
  aggregate(w, report);
  w.ticks++;
  w.transitions += report.transitions.length;
  if (Date.now() - w.startedAt >= SHARD_WINDOW_MS) flushShardMetrics(shard);
}

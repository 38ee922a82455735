// EMF metrics of a probe tick, one document per channel and path.
//
// Emitted (namespace POWERTOOLS_METRICS_NAMESPACE, 'Flatline' by default), dimensions EXACTLY {Channel, Path}
// (Path = edge | primary | standby; Powertools' default `service` dimension is cleared), resolution High (1 s):
//   ManifestAge  Milliseconds  age of the path's OLDEST rendition; omitted when a fetch failed or no rendition
//                              has a wall clock, so an alarm that treats missing data as breaching fires
//   FetchErrors  Count         failed or timed-out requests of the path in this tick
//   Problems     Count         stream-contract / caching problems seen on the path in this tick
//   Stale        Count         1 when the debounced state of the path is stale, else 0
// and once per tick, dimensions exactly {Shard} ("i/n"), resolution High:
//   SweepDuration Milliseconds  wall time of the sweep (size shards so it stays well under PROBE_TICK_MS)
//   Transitions   Count         Manifest Stale / Manifest Fresh events put on the bus
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
  m.addDimension('Shard', shard);
  m.addMetric('SweepDuration', MetricUnit.Milliseconds, Math.round(report.durationMs), MetricResolution.High);
  m.addMetric('Transitions', MetricUnit.Count, report.transitions.length, MetricResolution.High);
  m.publishStoredMetrics();
}

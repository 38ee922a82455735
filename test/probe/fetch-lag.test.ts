// FetchLag: how late the probe's fetches leave after they are due, the shard's saturation signal on the deadline
// schedule (a tick there never includes a fetch, so its duration says nothing about a backlog). A loopback origin
// on a fake clock, every response held DELAY_MS (real time): with one request in flight at a time, renditions due
// together (all frozen: due at the same deadline) queue behind each other and the last one leaves at least
// (due - 1) x DELAY_MS late, which the path reports and the shard's EMF document carries as FetchLag. With slots
// to spare nothing waits.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFetcher, createProbeLoop, type ProbeLoop, type TickReport } from '../../functions/domain/probe/index.js';
import { emitTickMetrics, flushShardMetrics } from '../../functions/probe/metrics.js';
import { fleet } from '../../sandbox/testkit/fleet.js';
import { liveRig } from './live-rig.js';

const SEGMENT_S = 2;
const STEP_MS = 100;
const DELAY_MS = 40;
const PATHS = ['edge', 'primary', 'standby'] as const;
/** The origin's ladder (LiveOrigin): 6 renditions per path. */
const RENDITIONS = 6;
const rig = liveRig({ t0: '2025-03-01T12:00:00.300Z', segmentS: SEGMENT_S });

let stdout: string[] = [];
beforeEach(() => {
  stdout = [];
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** The FetchLag values of the shard's EMF documents. */
const fetchLagDocs = (shard: string): number[] =>
  stdout
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as { Shard?: string; FetchLag?: number })
    .filter((doc) => doc.Shard === shard && doc.FetchLag !== undefined)
    .map((doc) => doc.FetchLag as number);

/** Steps the loop every STEP_MS of fake time (each step: a tick and what it started, settled), as the Lambda emits. */
async function runFor(loop: ProbeLoop, shard: string, durationMs: number): Promise<TickReport[]> {
  const reports: TickReport[] = [];
  for (const end = rig.t + durationMs; rig.t < end; rig.t += STEP_MS)
    for (const report of [await loop.tick(), await loop.settled()]) {
      emitTickMetrics(report, shard);
      reports.push(report);
    }
  flushShardMetrics(shard);
  return reports;
}

const latestLag = (reports: readonly TickReport[]): number =>
  Math.max(0, ...reports.flatMap((r) => r.channels.flatMap((c) => Object.values(c.paths).flatMap((p) => (p.observed && p.fetchLagMs !== null ? [p.fetchLagMs] : [])))));

describe('FetchLag (due -> start of a fetch)', () => {
  it('shows a backlog: renditions due together behind one slot leave late, and the shard document says by how much', async () => {
    const ids = rig.names('news', 'sports');
    // Every rendition frozen: each learning fetch sees nothing new, so all of them are due at the same deadline.
    for (const id of ids) for (const path of PATHS) rig.origin.set(`${id}/${path}`, { delayMs: DELAY_MS, stallAt: rig.t });
    const fetcher = createFetcher({ concurrency: 1, timeoutMs: 5000 });
    const loop = createProbeLoop({ registry: fleet(rig.origin.base, ids), now: rig.clock, fetcher, publish: async () => {} });
    const shard = `backlog-${rig.run}`;
    try {
      // The first fetches have no due time; 1.5 target durations after the newest media end every rendition is due
      // at its deadline, all in the same step.
      const reports = await runFor(loop, shard, 2 * SEGMENT_S * 1000 + 2 * STEP_MS);
      const dueTogether = ids.length * PATHS.length * RENDITIONS;
      const bound = (dueTogether - 1) * DELAY_MS;
      expect(latestLag(reports)).toBeGreaterThanOrEqual(bound);
      expect(Math.max(...fetchLagDocs(shard))).toBeGreaterThanOrEqual(bound);
    } finally {
      await loop.close();
      await fetcher.close();
    }
  });

  it('stays within a step when slots are to spare', async () => {
    const ids = rig.names('news', 'sports');
    for (const id of ids) for (const path of PATHS) rig.origin.set(`${id}/${path}`, { delayMs: DELAY_MS });
    const loop = createProbeLoop({ registry: fleet(rig.origin.base, ids), now: rig.clock, fetcher: rig.fetcher, publish: async () => {} });
    const shard = `spare-${rig.run}`;
    try {
      const reports = await runFor(loop, shard, 2 * SEGMENT_S * 1000 + 2 * STEP_MS);
      // Due at most one step before the tick that starts it (the fake clock stands still while it is out); a free
      // slot is taken at once. The backlog above is (dueTogether - 1) x DELAY_MS = 1,400 ms.
      expect(latestLag(reports)).toBeLessThan(STEP_MS + DELAY_MS);
      const docs = fetchLagDocs(shard);
      expect(docs.length).toBeGreaterThan(0);
      expect(Math.max(...docs)).toBeLessThan(STEP_MS + DELAY_MS);
    } finally {
      await loop.close();
    }
  });
});

// The drill bench's verdict over seeded runs: the recover goal (the floor under the world, p95, + 1 TD) is
// judged on the p95 of the last viewer back, a run that never recovered or broke counts against it, and the
// notes say where the recovery time goes. Then the pool the drills run in, and one real drill process that breaks.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drill, drillJobs, runPool, seededSummary, type Outcome } from '../../bench/drill.bench.js';
import { ConcurrencyLimit } from '../../functions/domain/probe/limiter.js';
import { recoveryFloor, type RecoveryFloor } from '../../sandbox/drill/recovery-floor.js';
import type { DrillReport } from '../../sandbox/drill/report.js';
import { worldModel } from '../../sandbox/world-model.js';

const TD = 2;
// Under the realistic world: 8.38 s (4.19 TD) p50, 8.95 s (4.47 TD) p95.
// With the last viewer back at the floor, the first to run dry (6 s after the freeze) has stalled 3 s (1.5 TD).
const floorOpts = { staleAfterTargetDurations: 1.5, manifestMaxAgeS: 1, reloadSlots: 10, bufferTargetDurations: 3 };
const floor = recoveryFloor(worldModel('realistic'), TD, floorOpts);

/**
 * A primary-flatline report: detected at `detect` s, KVS written 1 s later, visible 3 s after that, the last
 * viewer back at `recover` s, its longest stall `stallS`, under a world with floor `f` (null: no floor).
 */
function report(detect: number, recover: number, { stallS = 1, f = floor }: { stallS?: number; f?: RecoveryFloor | null } = {}): DrillReport {
  return {
    scenario: { name: 'primary-flatline', title: 't', description: 'd' },
    channelId: 'news-1',
    mode: 'sandbox',
    startedAt: '2026-01-01T00:00:00.000Z',
    targetDurationS: TD,
    thresholdS: 3,
    probeTickS: 1,
    freezeT: -0.5,
    series: [],
    markers: [],
    freezeTimings: {
      probeStale: detect, alarm: null, mediaLiveAlert: null, triageDecision: detect, executionStart: detect,
      kvsWrite: detect + 1, kvsVisible: [detect + 3, detect + 4], viewersFresh: recover, viewersFreshP50: recover - 1, viewersFreshP95: recover,
    },
    summary: {
      timeToDetectS: detect, timeToDetectTD: detect / TD, timeToRecoverS: recover, timeToRecoverTD: recover / TD,
      viewerRecovery: { viewers: 100, back: 100, p50S: recover - 1, p95S: recover, lastS: recover },
      recoveryFloor: f && { ...f, flatlineShareS: recover - f.p50S, flatlineShareTD: (recover - f.p50S) / TD },
      longestStallS: stallS, longestStallTD: stallS / TD, rebufferRatio: 0.01, viewers: 100, viewersStalled: 10,
      executions: { failover: 1, failback: 0 }, executionOutcomes: [], awsCalls: {}, mutatingCalls: 4, eventsPut: 3, rejectedEvents: 0,
      notifications: 1, routeFlips: 1, final: { route: 'standby', slate: false, originGroupFirst: 'standby', onAir: 'standby', standbyState: 'RUNNING' },
      wallSeconds: 20, goals: [],
    },
    expectations: [],
    passed: true,
  };
}

const row = (rows: ReturnType<typeof seededSummary>['rows'], name: RegExp) => rows.find((r) => name.test(r.name))!;

describe('drill bench over seeded runs', () => {
  it("passes the recover goal, the world's floor (p95 4.47 TD, a goal of 4.5) + 1 TD, when the p95 of the last viewer back is within it, and misses it otherwise", () => {
    const fast = seededSummary(Array.from({ length: 20 }, (): Outcome => ({ report: report(3, 7.5) })));
    expect(row(fast.rows, /back on fresh manifests p95/)).toMatchObject({ value: 7.5, ratio: expect.stringMatching(/^3\.75 TD; floor/), goal: '<= 5.5 TD (floor p95 4.5 TD + 1 TD), warm standby', pass: true });
    // 5.5 TD is 11 s: at it passes, past it misses
    expect(row(seededSummary([{ report: report(3, 11) }]).rows, /back on fresh manifests p95/).pass).toBe(true);
    expect(row(seededSummary([{ report: report(3, 11.1) }]).rows, /back on fresh manifests p95/).pass).toBe(false);
    // 1..20 s: the p95 is the 19th run, 9.5 TD
    const spread = seededSummary(Array.from({ length: 20 }, (_, i): Outcome => ({ report: report(3, i + 1 + 3) })));
    expect(row(spread.rows, /back on fresh manifests p95/)).toMatchObject({ value: 22, pass: false });
    expect(row(spread.rows, /back on fresh manifests p50/).pass).toBeUndefined();
  });

  it('counts a run that broke as never recovered, and says so', () => {
    const outcomes: Outcome[] = [{ report: report(3, 7) }, { error: 'warm-up: viewers could not start playing' }];
    const { rows, notes } = seededSummary(outcomes);
    expect(row(rows, /back on fresh manifests p95/)).toMatchObject({ pass: false, ratio: 'not every run recovered; floor 4.47 TD' });
    expect(row(rows, /every expectation met/)).toMatchObject({ value: 1, unit: 'of 2', pass: false });
    expect(notes).toContain('primary-flatline seed 2: broke: warm-up: viewers could not start playing');
  });

  it('says where the recovery time goes, and whether detection is what limits it, with numbers', () => {
    // detection 6 s, then 1 s to the write, 3 s to the last location, 2 s to the last viewer
    const slowDetect = seededSummary(Array.from({ length: 5 }, (): Outcome => ({ report: report(6, 12) })));
    expect(slowDetect.notes.join('\n')).toMatch(/before the first signal \(detection\) 6\.0 s \(50 %\)/);
    expect(slowDetect.notes.join('\n')).toMatch(/detection is what limits recovery, the largest part: 6\.0 s of 12\.0 s \(50 %\).*instant the last viewer would be back after 3\.0 TD \(p95\), within the 5\.5 TD goal/);
    // detection 1 s; propagation (4 s) is the largest part
    const fastDetect = seededSummary(Array.from({ length: 5 }, (): Outcome => ({ report: report(1, 7) })));
    expect(fastDetect.notes.join('\n')).toMatch(/detection is not the largest part \(KVS write to the last edge location is\)/);
  });

  it("prints the floor under the world beside the p50 and p95, and flatline's own share above it", () => {
    // recover 11, 12, ..., 30 s: p50 the 10th run (20 s), p95 the 19th (29 s)
    const { rows, notes } = seededSummary(Array.from({ length: 20 }, (_, i): Outcome => ({ report: report(3, 11 + i) })));
    expect(row(rows, /back on fresh manifests p50/).ratio).toBe(`10.00 TD; floor 4.19 TD, flatline's own share 5.81 TD`);
    expect(row(rows, /back on fresh manifests p95/).ratio).toBe(`14.50 TD; floor 4.47 TD, flatline's own share 10.03 TD`);
    expect(notes.join('\n')).toMatch(/floor under the realistic world .*4\.19 TD p50 \/ 4\.47 TD p95 = 1\.6 \/ 1\.6 TD until triage hears of it \(stale after 1\.5 TD, then at least 0\.2 s on the bus; both MediaLive alerts first in 0\.12 % of runs\) \+ 4\.38 \/ 4\.95 s of KVS propagation to the last edge location \+ 0\.4 TD until the last viewer reloads \(the route is in the cache key: no playlist cached up to 1 s holds it after the flip\); with the last viewer back at the floor, the first to run dry has stalled at least 1\.5 \/ 1\.5 TD \(after its 3 TD buffer ran dry\); the 4 TD target first set lies below this world's floor, so the goal is flatline's own share, at most 1 TD above the p95 floor: <= 5\.5 TD \(floor p95 4\.5 TD \+ 1 TD\); flatline's own share .*5\.81 TD p50, 10\.03 TD p95/);
  });

  it('judges the longest stall against 2 TD beside the stall floor, or the floor + 0.5 TD where the world forces more', () => {
    const stallRow = (outcomes: Outcome[]) => row(seededSummary(outcomes).rows, /longest stall/);
    expect(stallRow([{ report: report(3, 9, { stallS: 4 }) }])).toMatchObject({ goal: '<= 2 TD (stall floor 1.5 TD)', pass: true });
    expect(stallRow([{ report: report(3, 9, { stallS: 4.2 }) }])).toMatchObject({ pass: false });
    // One location 9.8 s behind the write: back at 3 + 0.2 + 9.8 + 0.8 = 13.8 s, the first viewer to run dry has stalled 4 TD (over 7.8 s, whole half TDs)
    const slowKvs = recoveryFloor(worldModel('realistic', { kvsPropagationS: [9.8, 9.8], edgeLocations: 1 }), TD, floorOpts);
    expect(stallRow([{ report: report(3, 16, { stallS: 9, f: slowKvs }) }])).toMatchObject({ goal: '<= 4.5 TD (stall floor 4 TD)', pass: true });
    expect(stallRow([{ report: report(3, 16, { stallS: 9.2, f: slowKvs }) }])).toMatchObject({ pass: false });
  });

  it('has no recover goal where no run has a floor (none recovered onto a warm standby), and the stall goal is 2 TD', () => {
    const { rows } = seededSummary([{ report: report(3, 9, { stallS: 3, f: null }) }]);
    expect(row(rows, /back on fresh manifests p95/)).not.toHaveProperty('goal');
    expect(row(rows, /longest stall/)).toMatchObject({ goal: '<= 2 TD', pass: true });
  });
});

describe('the drill pool', () => {
  const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('runs at most N drills at once and keeps the outcomes in the jobs order, however they finish', async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    // later jobs finish first
    const outcomes = await runPool([0, 1, 2, 3, 4], new ConcurrencyLimit(2), async (i) => {
      started.push(i);
      most = Math.max(most, ++running);
      await tick(5 * (5 - i));
      running--;
      return { error: `job ${i}` };
    });
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(outcomes.map((o) => o.error)).toEqual(['job 0', 'job 1', 'job 2', 'job 3', 'job 4']);
  });

  it('turns a drill that throws into its outcome error, and runs the others', async () => {
    const outcomes = await runPool(['a', 'b', 'c'], new ConcurrencyLimit(1), async (name) => {
      if (name === 'b') throw new Error('spawn EAGAIN');
      return { error: `${name} ran` };
    });
    expect(outcomes).toEqual([{ error: 'a ran' }, { error: 'spawn EAGAIN' }, { error: 'c ran' }]);
  });

  it('takes its size from FLATLINE_BENCH_DRILL_JOBS, else one more than the available parallelism, and names a bad value', () => {
    expect(drillJobs({})).toBe(Math.max(1, availableParallelism()) + 1);
    expect(drillJobs({ FLATLINE_BENCH_DRILL_JOBS: '3' })).toBe(3);
    expect(() => drillJobs({ FLATLINE_BENCH_DRILL_JOBS: '0' })).toThrow(/FLATLINE_BENCH_DRILL_JOBS must be a whole number of at least 1, got "0"/);
    expect(() => drillJobs({ FLATLINE_BENCH_DRILL_JOBS: 'two' })).toThrow(/got "two"/);
  });

  it('a drill process that breaks or is stuck is an outcome error with its reason, not a thrown bench', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-pool-test-'));
    try {
      const [unknown, stuck] = await runPool(
        [
          { job: { name: 'no-such-scenario', world: 'realistic' as const }, killAfterMs: 60_000 },
          { job: { name: 'primary-flatline', world: 'realistic' as const }, killAfterMs: 50 },
        ],
        new ConcurrencyLimit(2),
        ({ job, killAfterMs }) => drill(job, {}, dir, killAfterMs),
      );
      expect(unknown).toEqual({ error: expect.stringMatching(/^exited [1-9]\d*: .*no-such-scenario/) });
      expect(stuck).toEqual({ error: expect.stringMatching(/^stuck: killed after 0\.05 s/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

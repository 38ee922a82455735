// The drill suite as a benchmark. Every scenario runs in the embedded sandbox under both world models
// (realistic, ideal) and makes one row of one table: time to detect, time to recover (the last viewer back on
// fresh manifests), the longest stall a viewer saw and the share of viewers that stalled, all from the
// primary's newest media end. Then primary-flatline runs 20 times under the realistic model, seeds 1-20, for
// p50 and p95. The goals, measured and never asserted in tests:
// - warm standby, realistic: every viewer back on fresh manifests within the floor under the world
//   (sandbox/drill/recovery-floor.ts, p95) + 1 target duration, p95 over the 20 seeded runs: flatline's own
//   share of the recovery, the world's is not its to cut;
// - no viewer stalls longer than 2 target durations (warm standby; a cold one stalls while StartChannel runs),
//   printed beside the stall the world alone forces;
// - a drill in under 60 s of wall time; the suite in under 6 minutes per model.
// A drill spends most of its wall time waiting on the world's clocks, so the drills run several at once
// (FLATLINE_BENCH_DRILL_JOBS, default the machine's available parallelism); each reports its CPU time and the
// notes the machine's load, so contention shows.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConcurrencyLimit } from '../functions/domain/probe/limiter.js';
import type { DrillReport, FreezeTimings } from '../sandbox/drill/report.js';
import { GOAL_DRILL_WALL_S, GOAL_SHARE_TD, recoverGoal, stallGoal } from '../sandbox/drill/report-builder.js';
import { percentile } from '../sandbox/drill/percentile.js';
import { nextSegmentText, stallUnderFloorText } from '../sandbox/drill/recovery-floor.js';
import { listScenarios } from '../sandbox/drill/scenario.js';
import type { WorldModelName } from '../sandbox/world-model.js';
import type { BenchRow, BenchSection, BenchTable } from './types.js';

const GOAL_SUITE_S = 6 * 60;
/**
 * Scenarios that keep a core busy for most of their run (alarm-storm: its event storm, ~33 s of CPU in a ~36 s
 * drill) run alone after the others: beside another drill they starve its sandbox (and it theirs), and the row
 * would measure the contention, not flatline.
 */
const SOLO_SCENARIOS: ReadonlySet<string> = new Set(['alarm-storm']);
const SEEDED_SCENARIO = 'primary-flatline';
/** The recover target first set, in target durations: below the realistic world's floor, so no longer the goal. */
const FIRST_RECOVER_TARGET_TD = 4;

export interface DrillBenchOptions {
  scenarios?: string[];
  models?: WorldModelName[];
  /** primary-flatline under the realistic model, seeds 1..N. */
  seededRuns?: number;
  /** Overrides every scenario's viewer count (a quick look; the bench itself runs the scenarios' own). */
  viewers?: number;
  /** Drills at once (default drillJobs()). */
  jobs?: number;
  log?: (line: string) => void;
}

/** One drill: its report, or why it broke. */
export type Outcome = { report: DrillReport; error?: undefined } | { report?: undefined; error: string };

/** One drill to run: `flatline drill --scenario <name> --world <world> [--seed N]`. */
export interface DrillJob {
  name: string;
  world: WorldModelName;
  seed?: number;
}

const bin = fileURLToPath(new URL('../bin/flatline.js', import.meta.url));
/** A drill that has not ended by then is stuck (its own maxSeconds is under a minute). */
const DRILL_KILL_MS = 5 * 60_000;
/** How much of a broken drill's stderr is kept for its error (its last lines say why). */
const STDERR_TAIL_CHARS = 16 * 1024;

/**
 * Drills at once: FLATLINE_BENCH_DRILL_JOBS, else one more than os.availableParallelism(). A drill spends most of its
 * wall time waiting for the world's clocks (CPU p50 ~8 s of ~30 s), so cores + 1 keep the machine busy without
 * starving one: on 2 cores the realistic suite took 271 s at 3 at once and 401 s at 2, with recoveries within a
 * run's own spread of each other (most within 0.5 s, at most 2 s apart). The CPU-bound scenarios run alone
 * (SOLO_SCENARIOS).
 */
export function drillJobs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FLATLINE_BENCH_DRILL_JOBS?.trim();
  if (!raw) return Math.max(1, availableParallelism()) + 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`FLATLINE_BENCH_DRILL_JOBS must be a whole number of at least 1, got "${raw}"`);
  return n;
}

/**
 * Runs every job through `limit` (at most limit.max at once, started in the jobs' order) and returns the
 * outcomes in the jobs' order. A job that throws is its outcome's error: one broken drill never ends the bench.
 */
export function runPool<J>(jobs: readonly J[], limit: ConcurrencyLimit, run: (job: J) => Promise<Outcome>): Promise<Outcome[]> {
  return Promise.all(jobs.map((job) => limit.run(() => run(job)).catch((err: unknown): Outcome => ({ error: err instanceof Error ? err.message : String(err) }))));
}

/**
 * One drill, in a process of its own: `flatline drill --scenario <name> --world <model> [--seed N]`, which
 * reproduces the row. A fresh process per drill keeps the runs independent: no module, connection or warm
 * Lambda carries over from one drill to the next, so each pays its own cold starts.
 */
export function drill(job: DrillJob, o: Pick<DrillBenchOptions, 'viewers'>, dir: string, killAfterMs = DRILL_KILL_MS): Promise<Outcome> {
  const { name, world, seed } = job;
  const out = join(dir, `${name}-${world}-${seed ?? 'scenario'}.json`);
  const args = [bin, 'drill', '--scenario', name, '--world', world, '--json', out, ...(seed === undefined ? [] : ['--seed', String(seed)]), ...(o.viewers === undefined ? [] : ['--viewers', String(o.viewers)])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let stuck = false;
    const timer = setTimeout(() => {
      stuck = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    const broke = (why: string): void => resolve({ error: `${why}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` });
    child.once('error', (err) => {
      clearTimeout(timer);
      broke(err.message);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      try {
        resolve({ report: JSON.parse(readFileSync(out, 'utf8')) as DrillReport });
      } catch {
        broke(stuck ? `stuck: killed after ${killAfterMs / 1000} s` : signal ? `killed by ${signal}` : `exited ${code}`);
      }
    });
  });
}

/** The 1-minute load average, sampled while the drills run: its mean and maximum. */
function loadSampler(everyMs = 5_000): { stop(): { mean: number; max: number } } {
  const samples = [loadavg()[0]!];
  const timer = setInterval(() => samples.push(loadavg()[0]!), everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(loadavg()[0]!);
      return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, max: Math.max(...samples) };
    },
  };
}

const secs = (s: number | null | undefined, td: number): string => (s === null || s === undefined ? '-' : `${s.toFixed(1)} s ${(s / td).toFixed(1)} TD`);
const goalOf = (r: DrillReport, key: 'stall' | 'wall') => r.summary.goals.find((g) => g.key === key);

/** One table row: scenario x model. It misses when an expectation fails, the drill breaks, or a stall or wall goal is missed. */
function tableRow(name: string, world: WorldModelName, out: Outcome): BenchTable['rows'][number] {
  if (!out.report) return { cells: [name, world, '-', '-', '-', '-', '-', '-', '-', 'broke'], goal: 'expectations, no crash', pass: false };
  const r = out.report;
  const s = r.summary;
  const td = r.targetDurationS;
  const vr = s.viewerRecovery;
  const failed = r.expectations.filter((e) => !e.pass).length;
  const stall = goalOf(r, 'stall');
  const misses = [failed || r.error ? `expectations ${failed ? `FAIL ${failed}` : 'error'}` : '', stall?.pass === false ? `stall ${stall.value} (goal ${stall.goal})` : '', goalOf(r, 'wall')?.pass === false ? `wall >= ${GOAL_DRILL_WALL_S} s` : ''].filter(Boolean);
  return {
    cells: [
      name,
      world,
      secs(s.timeToDetectS, td),
      secs(s.timeToRecoverS, td),
      vr ? `${vr.p50S?.toFixed(1) ?? '-'} / ${vr.p95S?.toFixed(1) ?? '-'} s` : '-',
      secs(s.longestStallS, td),
      `${s.viewers ? ((s.viewersStalled / s.viewers) * 100).toFixed(0) : '0'} % of ${s.viewers}`,
      `${s.wallSeconds.toFixed(0)} s`,
      s.cpuSeconds === undefined ? '-' : `${s.cpuSeconds.toFixed(1)} s`,
      misses.length ? misses.join(', ') : 'PASS',
    ],
    goal: `expectations${stall ? `, stall ${stall.goal}` : ''}, wall < ${GOAL_DRILL_WALL_S} s`,
    pass: misses.length === 0,
  };
}

/** Where the recovery time goes, from the freeze: before the first signal, to the KVS write, to the last edge location, to the last viewer. */
function phases(ft: FreezeTimings): { detect: number; act: number; propagate: number; player: number } | null {
  const signals = [ft.probeStale, ft.alarm, ft.mediaLiveAlert].filter((v): v is number => v !== null);
  const visible = ft.kvsVisible.filter((v): v is number => v !== null);
  if (!signals.length || ft.kvsWrite === null || !visible.length || ft.viewersFresh === null) return null;
  const first = Math.min(...signals);
  const edges = Math.max(...visible);
  return { detect: first, act: ft.kvsWrite - first, propagate: edges - ft.kvsWrite, player: ft.viewersFresh - edges };
}

/** The rows and notes of the seeded primary-flatline runs (seed i + 1 is outcomes[i]). */
export function seededSummary(outcomes: readonly Outcome[]): { rows: BenchRow[]; notes: string[] } {
  const reports = outcomes.flatMap((o) => (o.report ? [o.report] : []));
  const n = outcomes.length;
  const td = reports[0]?.targetDurationS ?? 2;
  // A run whose viewers never all came back (or that broke) counts as infinitely slow: it can only hurt the p95.
  const recover = outcomes.map((o) => o.report?.summary.timeToRecoverS ?? Number.POSITIVE_INFINITY);
  const detect = outcomes.map((o) => o.report?.summary.timeToDetectS ?? Number.POSITIVE_INFINITY);
  const label = `${SEEDED_SCENARIO} x${n} (realistic, seeds 1-${n})`;
  // The floor under the world (the same in every run: one world, one channel), for the recovery rows.
  const floor = reports.find((r) => r.summary.recoveryFloor)?.summary.recoveryFloor ?? null;
  const floorAt = (p: number): number | null => (floor ? (p === 95 ? floor.p95S : floor.p50S) : null);
  const goal = floor ? recoverGoal(floor) : null;
  const stall = stallGoal(floor, td);
  const stat = (what: string, xs: number[], p: number, goal?: { td: number; text: string }, floorS: number | null = null): BenchRow => {
    const v = percentile(xs, p);
    const split = floorS === null ? '' : `; floor ${(floorS / td).toFixed(2)} TD${Number.isFinite(v) ? `, flatline's own share ${((v - floorS) / td).toFixed(2)} TD` : ''}`;
    return {
      name: `${label}: ${what} p${p}`,
      value: Number.isFinite(v) ? Number(v.toFixed(2)) : Number.NaN,
      unit: 's',
      ratio: `${Number.isFinite(v) ? `${(v / td).toFixed(2)} TD` : 'not every run recovered'}${split}`,
      ...(goal ? { goal: goal.text, pass: Number.isFinite(v) && v / td <= goal.td } : {}),
    };
  };
  // Over the runs that did not break (NaN when none ran: a goal on nothing is missed).
  const worst = (xs: number[]): number => (xs.length ? Math.max(...xs) : Number.NaN);
  const longestStall = worst(reports.map((r) => r.summary.longestStallS));
  const slowest = worst(reports.map((r) => r.summary.wallSeconds));
  const passed = reports.filter((r) => r.passed).length;
  const rows: BenchRow[] = [
    stat('time to detect', detect, 50),
    stat('time to detect', detect, 95),
    stat('every viewer back on fresh manifests', recover, 50, undefined, floorAt(50)),
    // No floor (no run recovered onto a warm standby): no recover goal, as in a drill.
    stat('every viewer back on fresh manifests', recover, 95, goal ? { td: goal.td, text: `${goal.text}, warm standby` } : undefined, floorAt(95)),
    { name: `${label}: longest stall, worst run`, value: Number(longestStall.toFixed(2)), unit: 's', ratio: `${(longestStall / td).toFixed(2)} TD`, goal: stall.text, pass: longestStall / td <= stall.td },
    { name: `${label}: drill wall time, slowest run`, value: Number(slowest.toFixed(1)), unit: 's', goal: `< ${GOAL_DRILL_WALL_S} s`, pass: slowest < GOAL_DRILL_WALL_S },
    { name: `${label}: runs with every expectation met`, value: passed, unit: `of ${n}`, goal: `${n} of ${n}`, pass: passed === n },
  ];

  const notes: string[] = [];
  if (floor) {
    const t = floor.terms;
    const [p50, p95] = [percentile(recover, 50), percentile(recover, 95)];
    const share = (v: number, f: number): string => (Number.isFinite(v) ? `${((v - f) / td).toFixed(2)} TD` : 'n/a (not every run recovered)');
    notes.push(
      `floor under the realistic world (triage, execution and KVS write taking no time): ${(floor.p50S / td).toFixed(2)} TD p50 / ${(floor.p95S / td).toFixed(2)} TD p95 = ${(t.detectP50S / td).toFixed(1)} / ${(t.detectP95S / td).toFixed(1)} TD until triage hears of it (stale after ${(t.staleS / td).toFixed(1)} TD, then at least ${t.busS} s on the bus; both MediaLive alerts first in ${(t.alertsFirstProbability * 100).toFixed(2)} % of runs) + ${t.propagateP50S.toFixed(2)} / ${t.propagateP95S.toFixed(2)} s of KVS propagation to the last edge location + ${(t.reloadS / td).toFixed(1)} TD until the last viewer reloads${nextSegmentText(floor, td)} (the route is in the cache key: no playlist cached up to ${t.cacheUpToS} s holds it after the flip); ${stallUnderFloorText(t, td)}; ${floor.p95TD > FIRST_RECOVER_TARGET_TD ? `the ${FIRST_RECOVER_TARGET_TD} TD target first set lies below this world's floor, so the goal is flatline's own share, at most ${GOAL_SHARE_TD} TD above the p95 floor` : `the goal is flatline's own share, at most ${GOAL_SHARE_TD} TD above the p95 floor`}: ${recoverGoal(floor).text}; flatline's own share (measured above the floor) ${share(p50, floor.p50S)} p50, ${share(p95, floor.p95S)} p95`,
    );
  }
  const split = reports.flatMap((r) => {
    const p = r.freezeTimings ? phases(r.freezeTimings) : null;
    return p ? [p] : [];
  });
  if (split.length) {
    const p50 = (k: keyof (typeof split)[number]): number => percentile(split.map((p) => p[k]), 50);
    const parts = { detect: p50('detect'), act: p50('act'), propagate: p50('propagate'), player: p50('player') };
    const total = parts.detect + parts.act + parts.propagate + parts.player;
    const pct = (v: number): string => `${((v / total) * 100).toFixed(0)} %`;
    const words: Record<keyof typeof parts, string> = {
      detect: 'before the first signal (detection)',
      act: 'first signal to the KVS write (triage, confirmation, the execution)',
      propagate: 'KVS write to the last edge location',
      player: 'last edge location to the last viewer playing fresh media (player reload, cache)',
    };
    notes.push(
      `where the recovery goes (p50 of each part over ${split.length} runs, from the primary's newest media end): ${(Object.keys(parts) as Array<keyof typeof parts>)
        .map((k) => `${words[k]} ${parts[k].toFixed(1)} s (${pct(parts[k])})`)
        .join('; ')}`,
    );
    const largest = (Object.keys(parts) as Array<keyof typeof parts>).reduce((x, y) => (parts[y] > parts[x] ? y : x));
    // What instant detection would leave: the rest of each run's recovery, p95 over the runs.
    const withoutDetect = percentile(
      split.map((p) => p.act + p.propagate + p.player),
      95,
    );
    const verdict = largest === 'detect' ? 'detection is what limits recovery, the largest part' : `detection is not the largest part (${words[largest]} is)`;
    notes.push(
      `${verdict}: ${parts.detect.toFixed(1)} s of ${total.toFixed(1)} s (${pct(parts.detect)}) pass before the first signal; with detection instant the last viewer would be back after ${(withoutDetect / td).toFixed(1)} TD (p95)${goal ? `, ${withoutDetect / td <= goal.td ? 'within' : 'still over'} the ${goal.td} TD goal` : ''}`,
    );
  }
  for (const [i, o] of outcomes.entries()) {
    if (!o.report) notes.push(`${SEEDED_SCENARIO} seed ${i + 1}: broke: ${o.error}`);
    else if (!o.report.passed) notes.push(`${SEEDED_SCENARIO} seed ${i + 1}: ${o.report.expectations.filter((e) => !e.pass).map((e) => `${e.expectation}: ${e.detail}`).join('; ')}`);
  }
  return { rows, notes };
}

export async function benchDrills(o: DrillBenchOptions = {}): Promise<BenchSection> {
  const log = o.log ?? (() => undefined);
  const scenarios = o.scenarios ?? listScenarios();
  const models = o.models ?? ['realistic', 'ideal'];
  const seededRuns = o.seededRuns ?? 20;
  const jobs = o.jobs ?? drillJobs();
  // One limit for every drill of the bench, the seeded runs too.
  const limit = new ConcurrencyLimit(jobs);
  const loadBefore = loadavg()[0]!;
  const load = loadSampler();
  const table: BenchTable = { columns: ['scenario', 'model', 'detect', 'recover (last viewer)', 'viewers back p50 / p95', 'longest stall', 'viewers stalled', 'wall', 'cpu', 'verdict'], rows: [] };
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'flatline-drill-bench-'));
  const all: Outcome[] = [];
  try {
    // The models one after the other, so that each one's suite has its own elapsed wall time.
    for (const world of models) {
      const startedAt = performance.now();
      const one = async (job: DrillJob): Promise<Outcome> => {
        const out = await drill(job, o, dir);
        log(`drill bench: ${job.name} (${world}) ${out.report ? `wall ${out.report.summary.wallSeconds.toFixed(1)} s, cpu ${out.report.summary.cpuSeconds?.toFixed(1) ?? '-'} s` : `broke: ${out.error}`}`);
        return out;
      };
      const pooled = await runPool(
        scenarios.filter((name) => !SOLO_SCENARIOS.has(name)).map((name): DrillJob => ({ name, world })),
        limit,
        one,
      );
      // Then each solo scenario with the machine to itself.
      const solo: Outcome[] = [];
      for (const name of scenarios.filter((n) => SOLO_SCENARIOS.has(n))) solo.push(await one({ name, world }));
      const outcomes = scenarios.map((name) => (SOLO_SCENARIOS.has(name) ? solo.shift() : pooled.shift()) as Outcome);
      const elapsedS = (performance.now() - startedAt) / 1000;
      all.push(...outcomes);
      for (const [i, out] of outcomes.entries()) {
        const name = scenarios[i]!;
        table.rows.push(tableRow(name, world, out));
        if (!out.report) notes.push(`${name} (${world}): broke: ${out.error}`);
        else if (!out.report.passed) notes.push(`${name} (${world}): ${out.report.expectations.filter((e) => !e.pass).map((e) => `${e.expectation}: ${e.detail}`).join('; ')}${out.report.error ? `; error: ${out.report.error}` : ''}`);
      }
      // The drills' own wall times added up (as `flatline drill --all` would run them, one after the other); NaN if one broke.
      const sum = outcomes.reduce((acc, out) => acc + (out.report?.summary.wallSeconds ?? Number.NaN), 0);
      const broke = outcomes.filter((out) => !out.report).length;
      rows.push({
        name: `whole suite, ${world} (${scenarios.length} drills, ${Math.min(jobs, scenarios.length)} at once${scenarios.some((n) => SOLO_SCENARIOS.has(n)) ? `, ${[...SOLO_SCENARIOS].filter((n) => scenarios.includes(n)).join(', ')} alone` : ''}), elapsed`,
        value: Number(elapsedS.toFixed(1)),
        unit: 's',
        ratio: broke ? `${broke} broke` : `the drills' wall times add up to ${(sum / elapsedS).toFixed(1)}x this`,
        goal: `< ${GOAL_SUITE_S} s`,
        // A drill that broke may have ended early: the suite is not judged fast on it.
        pass: broke === 0 && elapsedS < GOAL_SUITE_S,
      });
      rows.push({ name: `whole suite, ${world}: sum of the drills' wall times (for comparison)`, value: Number(sum.toFixed(1)), unit: 's' });
    }
    if (seededRuns > 0) {
      const outcomes = await runPool(
        Array.from({ length: seededRuns }, (_, i): DrillJob => ({ name: SEEDED_SCENARIO, world: 'realistic', seed: i + 1 })),
        limit,
        async (job) => {
          const out = await drill(job, o, dir);
          log(`drill bench: ${SEEDED_SCENARIO} seed ${job.seed} ${out.report ? `recover ${out.report.summary.timeToRecoverS?.toFixed(1) ?? '-'} s, wall ${out.report.summary.wallSeconds.toFixed(1)} s, cpu ${out.report.summary.cpuSeconds?.toFixed(1) ?? '-'} s` : `broke: ${out.error}`}`);
          return out;
        },
      );
      all.push(...outcomes);
      const seeded = seededSummary(outcomes);
      rows.push(...seeded.rows);
      notes.push(...seeded.notes);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const during = load.stop();
  const reports = all.flatMap((out) => (out.report ? [out.report] : []));
  const cpu = reports.flatMap((r) => (r.summary.cpuSeconds === undefined ? [] : [r.summary.cpuSeconds]));
  const wall = reports.map((r) => r.summary.wallSeconds);
  notes.push(
    `times from the primary's newest media end; recover = the last viewer that watched the frozen media playing fresh media again, measured by the simulated viewers; TD = target duration; each drill ran in a process of its own and is reproduced by \`flatline drill --scenario <name> --world <model> [--seed N]\``,
    `${jobs} drill${jobs === 1 ? '' : 's'} at once (FLATLINE_BENCH_DRILL_JOBS; 1 runs them one after the other) on ${cpus().length} cores: a drill's CPU time (its process over the drill, user + system) p50 ${percentile(cpu, 50).toFixed(1)} s of a p50 wall time of ${percentile(wall, 50).toFixed(1)} s; load average ${loadBefore.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}, mean ${during.mean.toFixed(1)} / max ${during.max.toFixed(1)} while the drills ran (wall times and control-plane steps include that contention)`,
  );
  return { title: 'Game-day drills in the embedded sandbox: every scenario under both world models, and primary-flatline over seeded runs', table, rows, notes };
}

export function run(): Promise<BenchSection> {
  return benchDrills({ log: (line) => process.stderr.write(`${line}\n`) });
}

// The drill suite as a benchmark. Every scenario runs in the embedded sandbox under both world models
// (realistic, ideal) and makes one row of one table: time to detect, time to recover (the last viewer back on
// fresh manifests), the longest stall a viewer saw and the share of viewers that stalled, all from the
// primary's newest media end. Then primary-flatline runs 20 times under the realistic model, seeds 1-20, for
// p50 and p95. The goals, measured and never asserted in tests:
// - warm standby, realistic: every viewer back on fresh manifests within 4 target durations of the
//   primary's newest media end, p95 over the 20 seeded runs; printed beside the floor under the world
//   (sandbox/drill/recovery-floor.ts) and flatline's own share above it;
// - no viewer stalls longer than 2 target durations (warm standby; a cold one stalls while StartChannel runs);
// - a drill in under 60 s of wall time; the suite in under 6 minutes per model.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DrillReport, FreezeTimings } from '../sandbox/drill/report.js';
import { GOAL_DRILL_WALL_S, GOAL_RECOVER_TD, GOAL_STALL_TD } from '../sandbox/drill/report-builder.js';
import { percentile } from '../sandbox/drill/percentile.js';
import { listScenarios } from '../sandbox/drill/scenario.js';
import type { WorldModelName } from '../sandbox/world-model.js';
import type { BenchRow, BenchSection, BenchTable } from './types.js';

const GOAL_SUITE_S = 6 * 60;
const SEEDED_SCENARIO = 'primary-flatline';

export interface DrillBenchOptions {
  scenarios?: string[];
  models?: WorldModelName[];
  /** primary-flatline under the realistic model, seeds 1..N. */
  seededRuns?: number;
  /** Overrides every scenario's viewer count (a quick look; the bench itself runs the scenarios' own). */
  viewers?: number;
  log?: (line: string) => void;
}

/** One drill: its report, or why it broke. */
export type Outcome = { report: DrillReport; error?: undefined } | { report?: undefined; error: string };

const bin = fileURLToPath(new URL('../bin/flatline.js', import.meta.url));
/** A drill that has not ended by then is stuck (its own maxSeconds is under a minute). */
const DRILL_KILL_MS = 5 * 60_000;

/**
 * One drill, in a process of its own: `flatline drill --scenario <name> --world <model> [--seed N]`, which
 * reproduces the row. A fresh process per drill keeps the runs independent: the sandbox's Lambda model charges
 * each function's first invocation the import time of its handler module as measured in this process, and
 * Node caches modules, so a drill after the first in one process would run without cold starts.
 */
function drill(name: string, world: WorldModelName, o: DrillBenchOptions, dir: string, seed?: number): Outcome {
  const out = join(dir, `${name}-${world}-${seed ?? 'scenario'}.json`);
  const args = [bin, 'drill', '--scenario', name, '--world', world, '--json', out, ...(seed === undefined ? [] : ['--seed', String(seed)]), ...(o.viewers === undefined ? [] : ['--viewers', String(o.viewers)])];
  const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: DRILL_KILL_MS, maxBuffer: 16 * 1024 * 1024 });
  try {
    return { report: JSON.parse(readFileSync(out, 'utf8')) as DrillReport };
  } catch {
    const why = child.error?.message ?? (child.signal ? `killed by ${child.signal}` : `exited ${child.status}`);
    return { error: `${why}: ${(child.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
  }
}

const secs = (s: number | null | undefined, td: number): string => (s === null || s === undefined ? '-' : `${s.toFixed(1)} s ${(s / td).toFixed(1)} TD`);
const goalOf = (r: DrillReport, key: 'stall' | 'wall'): boolean | undefined => r.summary.goals.find((g) => g.key === key)?.pass;

/** One table row: scenario x model. It misses when an expectation fails, the drill breaks, or a stall or wall goal is missed. */
function tableRow(name: string, world: WorldModelName, out: Outcome): BenchTable['rows'][number] {
  if (!out.report) return { cells: [name, world, '-', '-', '-', '-', '-', '-', 'broke'], goal: 'expectations, no crash', pass: false };
  const r = out.report;
  const s = r.summary;
  const td = r.targetDurationS;
  const vr = s.viewerRecovery;
  const failed = r.expectations.filter((e) => !e.pass).length;
  const stall = goalOf(r, 'stall');
  const misses = [failed || r.error ? `expectations ${failed ? `FAIL ${failed}` : 'error'}` : '', stall === false ? `stall > ${GOAL_STALL_TD} TD` : '', goalOf(r, 'wall') === false ? `wall >= ${GOAL_DRILL_WALL_S} s` : ''].filter(Boolean);
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
      misses.length ? misses.join(', ') : 'PASS',
    ],
    goal: `expectations${stall === undefined ? '' : `, stall <= ${GOAL_STALL_TD} TD`}, wall < ${GOAL_DRILL_WALL_S} s`,
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
    stat('every viewer back on fresh manifests', recover, 95, { td: GOAL_RECOVER_TD, text: `<= ${GOAL_RECOVER_TD} TD (warm standby)` }, floorAt(95)),
    { name: `${label}: longest stall, worst run`, value: Number(longestStall.toFixed(2)), unit: 's', ratio: `${(longestStall / td).toFixed(2)} TD`, goal: `<= ${GOAL_STALL_TD} TD`, pass: longestStall / td <= GOAL_STALL_TD },
    { name: `${label}: drill wall time, slowest run`, value: Number(slowest.toFixed(1)), unit: 's', goal: `< ${GOAL_DRILL_WALL_S} s`, pass: slowest < GOAL_DRILL_WALL_S },
    { name: `${label}: runs with every expectation met`, value: passed, unit: `of ${n}`, goal: `${n} of ${n}`, pass: passed === n },
  ];

  const notes: string[] = [];
  if (floor) {
    const t = floor.terms;
    const [p50, p95] = [percentile(recover, 50), percentile(recover, 95)];
    const share = (v: number, f: number): string => (Number.isFinite(v) ? `${((v - f) / td).toFixed(2)} TD` : 'n/a (not every run recovered)');
    notes.push(
      `floor under the realistic world (triage, execution and KVS write taking no time): ${(floor.p50S / td).toFixed(2)} TD p50 / ${(floor.p95S / td).toFixed(2)} TD p95 = ${(t.detectP50S / td).toFixed(1)} / ${(t.detectP95S / td).toFixed(1)} TD until detectable (stale after ${(t.staleS / td).toFixed(1)} TD; both MediaLive alerts first in ${(t.alertsFirstProbability * 100).toFixed(2)} % of runs) + ${t.propagateP50S.toFixed(2)} / ${t.propagateP95S.toFixed(2)} s of KVS propagation to the last edge location + ${(t.reloadS / td).toFixed(1)} TD until the last viewer reloads (an edge's cached playlist may add up to ${t.cacheUpToS} s); ${floor.p95TD > GOAL_RECOVER_TD ? `over the ${GOAL_RECOVER_TD} TD goal: no implementation can meet it under this world` : `within the ${GOAL_RECOVER_TD} TD goal`}; flatline's own share (measured above the floor) ${share(p50, floor.p50S)} p50, ${share(p95, floor.p95S)} p95`,
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
      `${verdict}: ${parts.detect.toFixed(1)} s of ${total.toFixed(1)} s (${pct(parts.detect)}) pass before the first signal; with detection instant the last viewer would be back after ${(withoutDetect / td).toFixed(1)} TD (p95), ${withoutDetect / td <= GOAL_RECOVER_TD ? 'within' : 'still over'} the ${GOAL_RECOVER_TD} TD goal`,
    );
  }
  for (const [i, o] of outcomes.entries()) {
    if (!o.report) notes.push(`${SEEDED_SCENARIO} seed ${i + 1}: broke: ${o.error}`);
    else if (!o.report.passed) notes.push(`${SEEDED_SCENARIO} seed ${i + 1}: ${o.report.expectations.filter((e) => !e.pass).map((e) => `${e.expectation}: ${e.detail}`).join('; ')}`);
  }
  return { rows, notes };
}

export function benchDrills(o: DrillBenchOptions = {}): BenchSection {
  const log = o.log ?? (() => undefined);
  const scenarios = o.scenarios ?? listScenarios();
  const models = o.models ?? ['realistic', 'ideal'];
  const seededRuns = o.seededRuns ?? 20;
  const loadBefore = loadavg()[0]!;
  const table: BenchTable = { columns: ['scenario', 'model', 'detect', 'recover (last viewer)', 'viewers back p50 / p95', 'longest stall', 'viewers stalled', 'wall', 'verdict'], rows: [] };
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'flatline-drill-bench-'));
  try {
    for (const world of models) {
      let suite = 0;
      for (const name of scenarios) {
        const out = drill(name, world, o, dir);
        suite += out.report?.summary.wallSeconds ?? Number.NaN;
        log(`drill bench: ${name} (${world}) ${out.report ? `${out.report.summary.wallSeconds.toFixed(1)} s` : `broke: ${out.error}`}`);
        table.rows.push(tableRow(name, world, out));
        if (!out.report) notes.push(`${name} (${world}): broke: ${out.error}`);
        else if (!out.report.passed) notes.push(`${name} (${world}): ${out.report.expectations.filter((e) => !e.pass).map((e) => `${e.expectation}: ${e.detail}`).join('; ')}${out.report.error ? `; error: ${out.report.error}` : ''}`);
      }
      // The drills' own wall times (as `flatline drill --all` runs them), not the bench's process starts; NaN if one broke.
      rows.push({ name: `whole suite, ${world} (${scenarios.length} drills, sum of their wall times)`, value: Number(suite.toFixed(1)), unit: 's', goal: `< ${GOAL_SUITE_S} s`, pass: suite < GOAL_SUITE_S });
    }
    if (seededRuns > 0) {
      const outcomes: Outcome[] = [];
      for (let seed = 1; seed <= seededRuns; seed++) {
        const out = drill(SEEDED_SCENARIO, 'realistic', o, dir, seed);
        log(`drill bench: ${SEEDED_SCENARIO} seed ${seed} ${out.report ? `recover ${out.report.summary.timeToRecoverS?.toFixed(1) ?? '-'} s, wall ${out.report.summary.wallSeconds.toFixed(1)} s` : `broke: ${out.error}`}`);
        outcomes.push(out);
      }
      const seeded = seededSummary(outcomes);
      rows.push(...seeded.rows);
      notes.push(...seeded.notes);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  notes.push(
    `times from the primary's newest media end; recover = the last viewer that watched the frozen media playing fresh media again, measured by the simulated viewers; TD = target duration; each drill ran in a process of its own and is reproduced by \`flatline drill --scenario <name> --world <model> [--seed N]\`; load average ${loadBefore.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores (wall times and control-plane steps include that contention)`,
  );
  return { title: 'Game-day drills in the embedded sandbox: every scenario under both world models, and primary-flatline over seeded runs', table, rows, notes };
}

export function run(): Promise<BenchSection> {
  return Promise.resolve(benchDrills({ log: (line) => process.stderr.write(`${line}\n`) }));
}

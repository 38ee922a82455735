// The result of a drill: what the JSON report holds, what the HTML report draws and what the CLI prints.
// Times are seconds since the start of the scenario's timeline (t = 0 is the first fault), and every
// duration is also given in target durations.
import type { InvariantResult } from './invariants.js';
import { nextSegmentText, stallUnderFloorText, type RecoveryFloorTerms } from './recovery-floor.js';

export interface SeriesPoint {
  /** Seconds since the start of the timeline (negative during the warm-up). */
  t: number;
  /** Manifest age on each path as the probe measured it (oldest rendition), seconds; null = unknown. */
  edgeAgeS: number | null;
  primaryAgeS: number | null;
  standbyAgeS: number | null;
  /** Share of viewers stalled, 0..1. */
  stalledShare: number;
  /** Share of viewers watching the slate, 0..1. */
  slateShare: number;
}

export type MarkerKind = 'fault' | 'event' | 'probe' | 'decision' | 'execution' | 'step' | 'route' | 'origin-group' | 'slate' | 'notify' | 'edge';

/**
 * Viewers back on fresh manifests, measured by the simulated viewers: seconds from the primary's newest media
 * end until each viewer that watched the frozen media plays newer media (p50 / p95 over them, and the last).
 * A percentile that lands on a viewer never back is null.
 */
export interface ViewerRecovery {
  /** Viewers that watched the frozen media. */
  viewers: number;
  /** Of them, back on fresh manifests by the end of the drill. */
  back: number;
  p50S: number | null;
  p95S: number | null;
  lastS: number | null;
}

/** Seconds from the primary's freeze to each step of the recovery (null: it never happened). */
export interface FreezeTimings {
  probeStale: number | null;
  /** The first CloudWatch Alarm State Change on the bus (the sandbox plays alarms under the realistic world). */
  alarm: number | null;
  mediaLiveAlert: number | null;
  triageDecision: number | null;
  executionStart: number | null;
  kvsWrite: number | null;
  /** Per edge location: the route write visible to its function. */
  kvsVisible: Array<number | null>;
  /** The last viewer back on fresh manifests (the time to recover). */
  viewersFresh: number | null;
  /** Over the viewers: half of them / 95 % of them back by then. */
  viewersFreshP50: number | null;
  viewersFreshP95: number | null;
}

export interface WorldSummary {
  name: string;
  /** One line: the model's numbers. */
  description: string;
  /** The one factor durations over 30 s are divided by. */
  compression: number;
  seed: number;
}

export interface Marker {
  t: number;
  kind: MarkerKind;
  label: string;
  detail?: string;
}

export interface ExpectationResult {
  /** The expectation as written in the scenario, in words. */
  expectation: string;
  pass: boolean;
  /** What was measured. */
  detail: string;
}

export interface Goal {
  /** Which goal (the bench finds a drill's verdicts by it). */
  key: 'detect' | 'recover' | 'stall' | 'wall';
  name: string;
  value: string;
  goal: string;
  pass: boolean;
  /** What the goal is measured against, printed after it (the recover goal: the floor under the world). */
  note?: string;
}

/**
 * The floor under the world model for the last viewer back (sandbox/drill/recovery-floor.ts): triage, the
 * execution and the KVS write taking no time. flatline's own share is the measured time above the p50 floor.
 */
export interface RecoveryFloorSummary {
  p50S: number;
  p95S: number;
  p50TD: number;
  p95TD: number;
  terms: RecoveryFloorTerms;
  /** timeToRecoverS - p50S: what flatline itself cost in this run, with the edge cache's luck (negative: a lucky KVS draw). */
  flatlineShareS: number;
  flatlineShareTD: number;
}

/** Where a drill's wall time went, seconds: the rig's start (sandbox, media world), the warm-up, the run to its end condition, the settle. */
export interface WallPhases {
  startS: number;
  warmupS: number;
  runS: number;
  settleS: number;
}

export interface DrillSummary {
  /** From the primary's newest media end (the freeze) to the first stale verdict reaching the control plane. */
  timeToDetectS: number | null;
  timeToDetectTD: number | null;
  /** From the freeze to the last viewer back on fresh manifests (measured by the viewers). */
  timeToRecoverS: number | null;
  timeToRecoverTD: number | null;
  /**
   * Per simulated viewer, from the freeze to back on fresh manifests (null: never frozen). Absent in a drill
   * against real AWS, which has no simulated viewers: its recovery is the probe's edge sample.
   */
  viewerRecovery?: ViewerRecovery | null;
  /** With the warm-standby recover goal: the floor under this world and flatline's share above it. */
  recoveryFloor?: RecoveryFloorSummary | null;
  longestStallS: number;
  longestStallTD: number;
  rebufferRatio: number;
  viewers: number;
  viewersStalled: number;
  executions: { failover: number; failback: number };
  executionOutcomes: Array<{ name: string; action: string; status: string }>;
  awsCalls: Record<string, number>;
  mutatingCalls: number;
  /** Events the bus took during the drill (MediaLive, probe, alarms, operator, injected). */
  eventsPut: number;
  rejectedEvents: number;
  notifications: number;
  routeFlips: number;
  final: { route: string; slate: boolean; originGroupFirst: string; onAir: string | null; standbyState: string };
  wallSeconds: number;
  /** The phases of wallSeconds (the report's own building is the rest). */
  wallPhases?: WallPhases;
  /** User + system CPU seconds of the drill's process over wallSeconds (absent against real AWS). */
  cpuSeconds?: number;
  goals: Goal[];
}

export interface DrillReport {
  scenario: { name: string; title: string; description: string };
  channelId: string;
  mode: 'sandbox' | 'aws';
  startedAt: string;
  targetDurationS: number;
  /** staleAfterTargetDurations x target duration, seconds. */
  thresholdS: number;
  probeTickS: number;
  /** t of the primary's newest media when it froze (null when the scenario never froze it). */
  freezeT: number | null;
  series: SeriesPoint[];
  markers: Marker[];
  /** The world model a sandbox drill ran under (absent: a drill against real AWS). */
  world?: WorldSummary;
  /** For scenarios where the primary froze. */
  freezeTimings?: FreezeTimings | null;
  summary: DrillSummary;
  expectations: ExpectationResult[];
  /** I1-I7 one by one, when the scenario expects `invariants` (that expectation is their conjunction). */
  invariants?: InvariantResult[];
  passed: boolean;
  /** Set when the drill itself broke (not an expectation: a crash). */
  error?: string;
}

const fmt = (n: number | null, digits = 1): string => (n === null ? '-' : n.toFixed(digits));

function recoverText(s: DrillSummary): string {
  const vr = s.viewerRecovery;
  if (!vr) return s.timeToRecoverS === null ? '-' : `${fmt(s.timeToRecoverS)} s (${fmt(s.timeToRecoverTD)} target durations)`;
  const over = `${vr.back} of ${vr.viewers} viewers back`;
  if (s.timeToRecoverS === null) return `- (${over})`;
  return `${fmt(s.timeToRecoverS)} s (${fmt(s.timeToRecoverTD)} target durations) until the last viewer played fresh media; p50 ${fmt(vr.p50S)} s, p95 ${fmt(vr.p95S)} s (${over})`;
}

function floorText(f: RecoveryFloorSummary, td: number): string {
  const t = f.terms;
  return `${fmt(f.p50S)} s (${fmt(f.p50TD)} TD) p50 / ${fmt(f.p95S)} s (${fmt(f.p95TD)} TD) p95: ${fmt(t.detectP50S / td)} / ${fmt(t.detectP95S / td)} TD until triage hears of it (stale after ${fmt(t.staleS / td)} TD, then at least ${fmt(t.busS)} s on the bus; both MediaLive alerts first in ${fmt(t.alertsFirstProbability * 100, 2)} % of runs) + ${fmt(t.propagateP50S)} / ${fmt(t.propagateP95S)} s of KVS propagation to the last edge location + ${fmt(t.reloadS / td)} TD until the last viewer reloads${nextSegmentText(f, td)} (the route is in the cache key: no playlist cached up to ${fmt(t.cacheUpToS)} s holds it after the flip); ${stallUnderFloorText(t, td)}; flatline's own share ${fmt(f.flatlineShareS)} s (${fmt(f.flatlineShareTD)} TD)`;
}

/** One goal line: PASS / MISS, the measured value, the goal and what it is measured against. */
export function goalLine(g: Goal): string {
  return `${g.pass ? 'PASS' : 'MISS'}  ${g.name}: ${g.value} (goal ${g.goal}${g.note ? `; ${g.note}` : ''})`;
}

/** The rows of the summary table (shared by the CLI text and the HTML). */
export function summaryRows(r: DrillReport): Array<[string, string]> {
  const s = r.summary;
  const calls = Object.entries(s.awsCalls)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const ft = r.freezeTimings;
  const from = (v: number | null): string => (v === null ? '-' : `${fmt(v)} s`);
  return [
    ['scenario', `${r.scenario.name}: ${r.scenario.title}`],
    ['world model', r.world ? `${r.world.description} (seed ${r.world.seed})` : 'real AWS'],
    ...(ft
      ? ([
          [
            'from the freeze',
            `probe stale ${from(ft.probeStale)}, alarm ${from(ft.alarm)}, MediaLive alert ${from(ft.mediaLiveAlert)}, triage ${from(ft.triageDecision)}, execution ${from(ft.executionStart)}, KVS write ${from(ft.kvsWrite)}, visible at edges ${ft.kvsVisible.map(from).join(' / ') || '-'}, viewers fresh p50 ${from(ft.viewersFreshP50)} / p95 ${from(ft.viewersFreshP95)} / last ${from(ft.viewersFresh)}`,
          ],
        ] as Array<[string, string]>)
      : []),
    ['channel', `${r.channelId} (target duration ${r.targetDurationS} s, stale after ${fmt(r.thresholdS)} s, probe tick ${r.probeTickS} s)`],
    ['time to detect', s.timeToDetectS === null ? '-' : `${fmt(s.timeToDetectS)} s (${fmt(s.timeToDetectTD)} target durations)`],
    ['time to recover', recoverText(s)],
    ...(s.recoveryFloor ? ([['floor under this world', floorText(s.recoveryFloor, r.targetDurationS)]] as Array<[string, string]>) : []),
    ['longest stall a viewer saw', `${fmt(s.longestStallS)} s (${fmt(s.longestStallTD)} target durations)`],
    ['rebuffer ratio', `${(s.rebufferRatio * 100).toFixed(2)} % (${s.viewersStalled} of ${s.viewers} viewers stalled at least once)`],
    ['executions started', `failover ${s.executions.failover}, failback ${s.executions.failback}${s.executionOutcomes.length ? ` (${s.executionOutcomes.map((e) => `${e.action} ${e.status}`).join(', ')})` : ''}`],
    ['AWS calls', `${calls || 'none'} (${s.mutatingCalls} mutating)`],
    ['events', `${s.eventsPut} on the bus, ${s.rejectedEvents} rejected by triage, ${s.notifications} notifications`],
    ['routing at the end', `route ${s.final.route}, slate ${s.final.slate ? 'on' : 'off'}, origin group ${s.final.originGroupFirst} first, on air ${s.final.onAir ?? '-'}, standby ${s.final.standbyState}`],
    ['wall time', `${fmt(s.wallSeconds)} s${s.wallPhases ? ` (start ${fmt(s.wallPhases.startS)} s, warm-up ${fmt(s.wallPhases.warmupS)} s, run ${fmt(s.wallPhases.runS)} s, settle ${fmt(s.wallPhases.settleS)} s)` : ''}${s.cpuSeconds === undefined ? '' : `, ${fmt(s.cpuSeconds)} s of CPU`}`],
  ];
}

/** The plain-text summary the CLI prints at the end of a drill. */
export function formatSummary(r: DrillReport): string {
  const rows = summaryRows(r);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [`\n${r.passed ? 'PASS' : 'FAIL'}  drill ${r.scenario.name}`];
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(width)}  ${v}`);
  if (r.summary.goals.length) {
    lines.push('  goals:');
    for (const g of r.summary.goals) lines.push(`    ${goalLine(g)}`);
  }
  lines.push('  expectations:');
  for (const e of r.expectations) lines.push(`    ${e.pass ? 'PASS' : 'FAIL'}  ${e.expectation}: ${e.detail}`);
  if (r.invariants) {
    lines.push('  invariants:');
    for (const i of r.invariants) lines.push(`    ${i.pass ? 'PASS' : 'FAIL'}  ${i.id} ${i.wording}: ${i.detail}`);
  }
  if (r.error) lines.push(`  error: ${r.error}`);
  return lines.join('\n');
}

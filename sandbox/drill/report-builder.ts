// Builds the DrillReport from what the drill recorded: the markers of executions, steps, triage decisions
// and notifications, the detection and recovery times, the goals and the summary.
import type { Registry } from '../../functions/domain/registry/index.js';
import { edgeKey } from '../../functions/domain/routing-keys.js';
import { DEFAULT_BUFFER_TARGET_DURATIONS, DEFAULT_WHEEL_SLOTS, type ViewerFleet } from '../media/viewers.js';
import { evaluate, type DrillFacts } from './expectations.js';
import { judgeInvariants } from './invariants.js';
import type { Recorder } from './recorder.js';
import type { KvsVisible } from '../media/edge-locations.js';
import { DEFAULT_MANIFEST_MAX_AGE_S } from '../media/origin.js';
import { describeWorld } from '../world-model.js';
import { recoveryFloor, type RecoveryFloor } from './recovery-floor.js';
import type { DrillReport, FreezeTimings, Goal, RecoveryFloorSummary, WallPhases } from './report.js';
import type { Scenario } from './scenario.js';
import type { DrillSandbox } from './seams.js';
import type { ControlPlaneWatch } from './watchers.js';

export interface ReportInput {
  scenario: Scenario;
  channel: Registry['channels'][number];
  sb: DrillSandbox;
  rec: Recorder;
  watch: ControlPlaneWatch;
  viewers: ViewerFleet;
  facts: DrillFacts;
  startedAt: string;
  targetDurationS: number;
  thresholdS: number;
  probeTickMs: number;
  /** Times (s) of the probe's stale verdicts on the main channel's primary or edge. */
  staleTransitions: readonly number[];
  /** KVS writes as each edge location saw them. */
  kvsVisible: readonly KvsVisible[];
  edgeLocations: number;
  seed: number;
  wallSeconds: number;
  wallPhases?: WallPhases;
  /** The drill process's user + system CPU seconds over wallSeconds. */
  cpuSeconds?: number;
  error: string | undefined;
}

/** Markers for what the control plane did, read from the sandbox after the run. */
function markControlPlane({ sb, rec, watch, channel }: ReportInput): void {
  const { mark } = rec;
  for (const x of sb.executions()) {
    mark('execution', `${x.action} ${x.channelId === channel.id ? '' : `(${x.channelId}) `}started`, x.name, x.startedAt);
    for (const s of x.steps) mark('step', s.name, s.error, s.enteredAt);
    if (x.stoppedAt) mark('execution', `${x.action} ${x.status}`, x.error, x.stoppedAt);
  }
  for (const d of sb.decisions()) {
    const at = watch.eventTimes.get(d.eventId);
    const who = d.channelId && d.channelId !== channel.id ? ` (${d.channelId})` : '';
    if (d.decision) mark('decision', `triage: ${d.decision}${who}`, d.reason, at);
    else if (!d.ok) mark('decision', 'triage: rejected', d.error, at);
  }
  rec.markers.sort((a, b) => a.t - b.t);
  for (const n of sb.notifications()) mark('notify', `SNS: ${(n.subject ?? n.message).slice(0, 60)}`, undefined, n.at);
}

/**
 * The goals printed with every drill and with the bench, measured, never asserted: a warm standby's viewers
 * back on fresh manifests within the floor under the drill's world (p95) + GOAL_SHARE_TD; no viewer stalls
 * longer than GOAL_STALL_TD (or, where the world alone forces a longer stall, its floor + GOAL_STALL_OVER_FLOOR_TD);
 * a drill in under 60 s of wall time.
 */
export const GOAL_STALL_TD = 2;
export const GOAL_DRILL_WALL_S = 60;
/**
 * What flatline may add to the recovery on top of what the world charges (the floor: detection no earlier than
 * stale, KVS propagation, the last viewer's reload). The world's share is not flatline's to cut: the 4 TD target
 * first set lies below the floor of the realistic world (4.5 TD p95), so the goal is flatline's own share.
 */
export const GOAL_SHARE_TD = 1;
/** Where the world alone forces stalls over GOAL_STALL_TD, the stall goal is that floor plus this: again flatline's share only. */
export const GOAL_STALL_OVER_FLOOR_TD = 0.5;

/** A goal is a round figure: target durations to 0.1, as printed. */
const tenths = (td: number): number => Math.round(td * 10) / 10;

/** The warm-standby recover goal, in target durations, under a world with this floor: `<= 5.5 TD (floor p95 4.5 TD + 1 TD)`. */
export function recoverGoal(floor: Pick<RecoveryFloor, 'p95TD'>): { td: number; text: string } {
  const td = tenths(tenths(floor.p95TD) + GOAL_SHARE_TD);
  return { td, text: `<= ${td} TD (floor p95 ${tenths(floor.p95TD)} TD + ${GOAL_SHARE_TD} TD)` };
}

/** The stall goal, in target durations: GOAL_STALL_TD, unless the world's stall floor (p95) is over it: `<= 2 TD (stall floor 1 TD)`. */
export function stallGoal(floor: Pick<RecoveryFloor, 'terms'> | null, targetDurationS: number): { td: number; text: string } {
  if (!floor) return { td: GOAL_STALL_TD, text: `<= ${GOAL_STALL_TD} TD` };
  const stallFloor = tenths(floor.terms.stallP95S / targetDurationS);
  const td = stallFloor > GOAL_STALL_TD ? tenths(stallFloor + GOAL_STALL_OVER_FLOOR_TD) : GOAL_STALL_TD;
  return { td, text: `<= ${td} TD (stall floor ${stallFloor} TD)` };
}

/**
 * The recover goal's yardstick, when the goal applies (a warm standby, the route on it, the last viewer back):
 * the floor under the drill's world (its feeds and viewers run with their defaults) and the measured time
 * above it.
 */
function floorOf(x: ReportInput): RecoveryFloorSummary | null {
  const { facts, channel, targetDurationS: td } = x;
  if (facts.timeToRecoverS === null || channel.standby.mode !== 'warm' || facts.channels[channel.id]!.route !== 'standby') return null;
  const faultAfterMediaEndS = facts.faultT !== null && facts.freezeT !== null ? facts.faultT - facts.freezeT : 0;
  const f = recoveryFloor(x.sb.world, td, { staleAfterTargetDurations: channel.policy.staleAfterTargetDurations, manifestMaxAgeS: DEFAULT_MANIFEST_MAX_AGE_S, reloadSlots: DEFAULT_WHEEL_SLOTS, bufferTargetDurations: DEFAULT_BUFFER_TARGET_DURATIONS, faultAfterMediaEndS });
  const share = facts.timeToRecoverS - f.p50S;
  return { ...f, flatlineShareS: share, flatlineShareTD: share / td };
}

function goalsOf(x: ReportInput, timeToDetectS: number | null, floor: RecoveryFloorSummary | null): Goal[] {
  const { facts, channel, targetDurationS: td } = x;
  const goals: Goal[] = [];
  if (timeToDetectS !== null) {
    const bound = x.thresholdS + channel.policy.consecutive * (x.probeTickMs / 1000);
    goals.push({ key: 'detect', name: 'detection within staleAfter + consecutive x tick', value: `${timeToDetectS.toFixed(2)} s`, goal: `<= ${bound.toFixed(2)} s`, pass: timeToDetectS <= bound });
  }
  const warm = channel.standby.mode === 'warm';
  if (facts.timeToRecoverS !== null && floor) {
    const tds = facts.timeToRecoverS / td;
    const note = `floor under this world ${floor.p50TD.toFixed(1)} TD (p95 ${floor.p95TD.toFixed(1)} TD): flatline's own share ${floor.flatlineShareTD.toFixed(1)} TD`;
    const goal = recoverGoal(floor);
    goals.push({ key: 'recover', name: 'warm standby: every viewer back on fresh manifests', value: `${tds.toFixed(2)} TD`, goal: goal.text, pass: tds <= goal.td, note });
  }
  // A cold standby stalls its viewers for as long as StartChannel takes (minutes): the goal is the warm one's.
  if (warm) {
    const stallTD = facts.longestStallS / td;
    const goal = stallGoal(floor, td);
    goals.push({ key: 'stall', name: 'longest stall a viewer saw', value: `${stallTD.toFixed(2)} TD`, goal: goal.text, pass: stallTD <= goal.td });
  }
  goals.push({ key: 'wall', name: 'drill wall time', value: `${x.wallSeconds.toFixed(1)} s`, goal: `< ${GOAL_DRILL_WALL_S} s`, pass: x.wallSeconds < GOAL_DRILL_WALL_S });
  return goals;
}

/** Seconds from the freeze to each step of the recovery: what limits recovery, with numbers. */
function freezeTimingsOf(x: ReportInput, freezeT: number): FreezeTimings {
  const { rec, sb, channel } = x;
  const after = (ts: Array<number | undefined>): number | null => {
    const t = ts.filter((v): v is number => v !== undefined && v >= freezeT).sort((a, b) => a - b)[0];
    return t === undefined ? null : t - freezeT;
  };
  const routeKey = edgeKey(channel.id);
  const failovers = sb.executions().filter((e) => e.channelId === channel.id && e.action === 'failover');
  const routeWrite = rec.markers.filter((m) => m.kind === 'route' && m.label.startsWith(`${routeKey} route =`)).map((m) => m.t);
  const writeT = after(routeWrite);
  return {
    probeStale: after([...x.staleTransitions]),
    // An alarm going into ALARM (a change back to OK is no signal).
    alarm: after(rec.markers.filter((m) => m.kind === 'event' && m.label.startsWith('aws.cloudwatch') && (m.detail?.endsWith(' ALARM') ?? true)).map((m) => m.t)),
    mediaLiveAlert: after(rec.markers.filter((m) => m.kind === 'event' && m.label.startsWith('aws.medialive')).map((m) => m.t)),
    triageDecision: after(sb.decisions().filter((d) => d.decision === 'failover' && (d.channelId ?? channel.id) === channel.id).map((d) => rec.tOf(d.at))),
    executionStart: after(failovers.map((e) => rec.tOf(e.startedAt))),
    kvsWrite: writeT,
    kvsVisible: Array.from({ length: x.edgeLocations }, (_, loc) =>
      // The first write of the channel's edge value a location saw after the route write (the write itself, or a later one).
      writeT === null ? null : after(x.kvsVisible.filter((v) => v.location === loc && v.key === routeKey && rec.tOf(v.at) >= freezeT + writeT).map((v) => rec.tOf(v.at))),
    ),
    viewersFresh: x.facts.timeToRecoverS,
    viewersFreshP50: x.facts.viewerRecovery?.p50S ?? null,
    viewersFreshP95: x.facts.viewerRecovery?.p95S ?? null,
  };
}

export function buildReport(x: ReportInput): DrillReport {
  const { scenario, channel, sb, rec, facts, targetDurationS: td } = x;
  markControlPlane(x);
  const expectations = scenario.expectations.map((e) => evaluate(e, facts));
  const summary = x.viewers.summary();
  const main = facts.channels[channel.id]!;
  const calls = sb.calls().filter((c) => c.at >= rec.t0);
  const awsCalls: Record<string, number> = {};
  for (const c of calls) awsCalls[c.service] = (awsCalls[c.service] ?? 0) + 1;
  const freezeT = facts.freezeT;
  const firstFailover = main.executions.filter((e) => e.action === 'failover').map((e) => rec.tOf(e.startedAt))[0];
  const detectT = [...x.staleTransitions.filter((t) => freezeT !== null && t >= freezeT), ...(firstFailover === undefined ? [] : [firstFailover])].sort((a, b) => a - b)[0];
  const timeToDetectS = freezeT !== null && detectT !== undefined ? detectT - freezeT : null;
  const floor = floorOf(x);

  return {
    scenario: { name: scenario.name, title: scenario.title, description: scenario.description.trim() },
    channelId: channel.id,
    mode: 'sandbox',
    startedAt: x.startedAt,
    targetDurationS: td,
    thresholdS: x.thresholdS,
    probeTickS: x.probeTickMs / 1000,
    freezeT,
    series: rec.series,
    markers: rec.markers.map(({ t, kind, label, detail }) => ({ t, kind, label, ...(detail ? { detail } : {}) })),
    world: { name: sb.world.name, description: describeWorld(sb.world), compression: sb.world.compression, seed: x.seed },
    freezeTimings: freezeT === null ? null : freezeTimingsOf(x, freezeT),
    summary: {
      timeToDetectS,
      timeToDetectTD: timeToDetectS === null ? null : timeToDetectS / td,
      timeToRecoverS: facts.timeToRecoverS,
      timeToRecoverTD: facts.timeToRecoverS === null ? null : facts.timeToRecoverS / td,
      viewerRecovery: facts.viewerRecovery,
      recoveryFloor: floor,
      longestStallS: summary.longestStallMs / 1000,
      longestStallTD: summary.longestStallMs / 1000 / td,
      rebufferRatio: summary.rebufferRatio,
      viewers: summary.viewers,
      viewersStalled: summary.viewersStalled,
      executions: { failover: main.executions.filter((e) => e.action === 'failover').length, failback: main.executions.filter((e) => e.action === 'failback').length },
      executionOutcomes: sb.executions().map((e) => ({ name: e.name, action: e.action, status: e.status })),
      awsCalls,
      mutatingCalls: calls.filter((c) => c.mutating).length,
      eventsPut: x.watch.busEvents(),
      rejectedEvents: facts.rejectedEvents,
      notifications: main.notifications.length,
      routeFlips: main.routeFlips,
      final: { route: main.route, slate: main.slate, originGroupFirst: main.originGroupFirst, onAir: main.onAir, standbyState: main.standbyState },
      wallSeconds: x.wallSeconds,
      ...(x.wallPhases ? { wallPhases: x.wallPhases } : {}),
      ...(x.cpuSeconds === undefined ? {} : { cpuSeconds: x.cpuSeconds }),
      goals: goalsOf(x, timeToDetectS, floor),
    },
    expectations,
    ...(scenario.expectations.some((e) => e.expect === 'invariants') ? { invariants: judgeInvariants(facts.invariants) } : {}),
    passed: !x.error && expectations.every((e) => e.pass),
    ...(x.error ? { error: x.error } : {}),
  };
}

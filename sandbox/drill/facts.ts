// Gathers what the expectations judge: each channel's routing, ledger, executions and notifications,
// and the recovery measured from the probe's series.
import { edgeKey, storedEdgeState } from '../../functions/domain/routing-keys.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import { DEFINITION_FILES, loadDefinition, type Definition } from '../aws/state-machine-runner.js';
import type { ViewerFleet } from '../media/viewers.js';
import { compressedMs, type WorldModel } from '../world-model.js';
import type { ChannelFacts, DrillFacts } from './expectations.js';
import type { InvariantFacts } from './invariants.js';
import type { Recorder } from './recorder.js';
import type { SeriesPoint } from './report.js';
import type { DrillSandbox } from './seams.js';
import type { ControlPlaneWatch } from './watchers.js';

/** The services flatline acts through: a mutating call to one of them is an action. */
const ACTION_SERVICES = new Set(['medialive', 'cloudfront', 'cloudfront-keyvaluestore', 'sns', 'states']);

export interface FactsInput {
  sb: DrillSandbox;
  registry: Registry;
  channelId: string;
  targetDurationS: number;
  thresholdS: number;
  watch: ControlPlaneWatch;
  viewers: ViewerFleet;
  series: readonly SeriesPoint[];
  freezeT: number | null;
  /** Epoch ms of t = 0: calls before it (the warm-up) are not the drill's. */
  t0: number;
  /** The samples the invariants judge. */
  rec: Pick<Recorder, 'samples'>;
  probeTickS: number;
}

export async function gatherFacts(x: FactsInput): Promise<DrillFacts> {
  const { sb, watch } = x;
  const channels: Record<string, ChannelFacts> = {};
  const notes = sb.notifications();
  for (const c of x.registry.channels) {
    const item = await sb.ledger(c.id).catch(() => null);
    channels[c.id] = {
      ...storedEdgeState(sb.kvsGet(c.edge.kvsArn, edgeKey(c.id))),
      originGroupFirst: watch.groupOrder(c.id),
      onAir: item?.onAir ?? null,
      standbyState: sb.channel(c.standby.region, c.standby.channelId).state,
      routeFlips: watch.routeFlips.get(c.id) ?? 0,
      executions: sb.executions().filter((e) => e.channelId === c.id),
      notifications: notes.filter((n) => `${n.subject ?? ''} ${n.message}`.includes(c.id)),
    };
  }
  return {
    channelId: x.channelId,
    targetDurationS: x.targetDurationS,
    timeToRecoverS: recoveryOf(x.series, x.freezeT, x.thresholdS),
    freezeT: x.freezeT,
    longestStallS: x.viewers.summary().longestStallMs / 1000,
    shareStalled: x.viewers.summary().viewers ? x.viewers.summary().viewersStalled / x.viewers.summary().viewers : 0,
    mutatingActionCalls: sb.calls().filter((c) => c.mutating && ACTION_SERVICES.has(c.service) && c.at >= x.t0).length,
    rejectedEvents: sb.rejected(),
    channels,
    invariants: invariantFacts(x, notes),
  };
}

function invariantFacts(x: FactsInput, notes: ReturnType<DrillSandbox['notifications']>): InvariantFacts {
  const { sb } = x;
  const decisions = sb.decisions();
  const accepted = new Set(decisions.filter((d) => d.ok).map((d) => d.eventId));
  const ids = x.registry.channels.map((c) => c.id);
  return {
    t0: x.t0,
    end: Date.now(),
    thresholdS: x.thresholdS,
    probeTickS: x.probeTickS,
    stepTimeoutS: stepTimeoutS(sb.world),
    samples: x.rec.samples,
    executions: sb.executions(),
    notifications: notes.map((n) => ({ at: n.at, channelIds: ids.filter((id) => `${n.subject ?? ''} ${n.message}`.includes(id)) })),
    operatorRequests: x.watch.operatorRequests.filter((r) => accepted.has(r.eventId)),
    rejected: decisions.filter((d) => !d.ok).map((d) => ({ eventId: d.eventId, error: d.error ?? '' })),
    deadLetters: sb.deadLetters(),
  };
}

/** The longest TimeoutSeconds of any Task state of the state machines (Parallel branches and Maps included). */
export function longestTaskTimeoutS(definitions: readonly Definition[] = Object.keys(DEFINITION_FILES).map(loadDefinition)): number {
  let longest = 0;
  const walk = (machine: Definition): void => {
    for (const state of Object.values((machine.States ?? {}) as Record<string, Record<string, unknown>>)) {
      if (state.Type === 'Task' && typeof state.TimeoutSeconds === 'number') longest = Math.max(longest, state.TimeoutSeconds);
      if (Array.isArray(state.Branches)) (state.Branches as Definition[]).forEach(walk);
      for (const field of ['Iterator', 'ItemProcessor'] as const) if (state[field]) walk(state[field] as Definition);
    }
  };
  definitions.forEach(walk);
  return longest;
}

/** One step timeout in drill time: the longest Task timeout, compressed as the world compresses every long duration. */
export const stepTimeoutS = (world: Pick<WorldModel, 'compression'>): number => compressedMs(world, longestTaskTimeoutS()) / 1000;

/**
 * Seconds from the freeze until viewers are back on fresh manifests: the first probe sample at which the
 * edge serves media newer than the frozen primary's last segment (its newest media end, t - age, is past
 * the freeze) and its age is under the stale threshold. Cache noise before or after does not count.
 */
export function recoveryOf(series: readonly SeriesPoint[], freezeT: number | null, thresholdS: number): number | null {
  if (freezeT === null) return null;
  const back = series.find((p) => p.t > freezeT && p.edgeAgeS !== null && p.t - p.edgeAgeS > freezeT + 0.001 && p.edgeAgeS <= thresholdS);
  return back ? back.t - freezeT : null;
}

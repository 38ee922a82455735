// Gathers what the expectations judge: each channel's routing, ledger, executions and notifications,
// and the recovery measured from the simulated viewers themselves.
import { edgeKey, storedEdgeState } from '../../functions/domain/routing-keys.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import { DEFINITION_FILES, loadDefinition, type Definition } from '../aws/state-machine-runner.js';
import type { ViewerFleet } from '../media/viewers.js';
import { compressedMs, type WorldModel } from '../world-model.js';
import type { ChannelFacts, DrillFacts } from './expectations.js';
import type { InvariantFacts } from './invariants.js';
import { percentile } from './percentile.js';
import type { Recorder } from './recorder.js';
import type { ViewerRecovery } from './report.js';
import type { DrillSandbox } from './seams.js';
import type { ControlPlaneWatch } from './watchers.js';

/** The services flatline acts through: a mutating call to one of them is an action. */
const ACTION_SERVICES = new Set(['medialive', 'cloudfront', 'cloudfront-keyvaluestore', 'sns', 'states']);

export interface FactsInput {
  sb: DrillSandbox;
  registry: Registry;
  channelId: string;
  targetDurationS: number;
  /** Seconds of age after which a manifest is stale (staleAfter x target duration). */
  thresholdS: number;
  watch: ControlPlaneWatch;
  viewers: ViewerFleet;
  /** t of the primary's newest media end when it froze. */
  freezeT: number | null;
  /** t when the primary stopped producing (its fault). */
  faultT: number | null;
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
  // Media ends are whole epoch ms: round away the float of the t <-> epoch round trip.
  const frozenMediaEndMs = x.freezeT === null ? null : Math.round(x.t0 + x.freezeT * 1000);
  const viewerRecovery = frozenMediaEndMs === null ? null : viewerRecoveryOf(x.viewers.backOnFreshMedia(frozenMediaEndMs), frozenMediaEndMs);
  return {
    channelId: x.channelId,
    targetDurationS: x.targetDurationS,
    timeToRecoverS: viewerRecovery?.lastS ?? null,
    viewerRecovery,
    freezeT: x.freezeT,
    faultT: x.faultT,
    longestStallS: x.viewers.summary().longestStallMs / 1000,
    shareStalled: x.viewers.summary().viewers ? x.viewers.summary().viewersStalled / x.viewers.summary().viewers : 0,
    mutatingActionCalls: sb.calls().filter((c) => c.mutating && ACTION_SERVICES.has(c.service) && c.at >= x.t0).length,
    rejectedEvents: sb.rejected(),
    channels,
    opsNotifications: notes.filter((n) => !x.registry.channels.some((c) => `${n.subject ?? ''} ${n.message}`.includes(c.id))),
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
    kvsPropagationS: sb.world.kvsPropagationS[1],
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
 * Viewers back on fresh manifests, from the primary's newest media end: for each viewer that was watching
 * the frozen media, the moment it played media newer than that again (`backAtMs`, null: never). A viewer
 * not back counts as infinitely late, so a percentile that lands on one is null, and so is the last.
 */
export function viewerRecoveryOf(backAtMs: ReadonlyArray<number | null>, frozenMediaEndMs: number): ViewerRecovery {
  const delays = backAtMs.map((at) => (at === null ? Number.POSITIVE_INFINITY : (at - frozenMediaEndMs) / 1000));
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    viewers: delays.length,
    back: delays.filter(Number.isFinite).length,
    p50S: finite(percentile(delays, 50)),
    p95S: finite(percentile(delays, 95)),
    lastS: finite(percentile(delays, 100)),
  };
}

// Watches the control plane during a drill: every event the bus takes, every KVS change and every origin
// group reorder becomes a marker; the counts the report and the expectations need are kept here.
import { OPS_SOURCE } from '../../functions/domain/contracts.js';
import type { Channel, Registry } from '../../functions/domain/registry/index.js';
import { decodeEdgeValue, EDGE_KEY_PREFIX, edgeKey, edgeStateOf, storedEdgeState, type EdgeState } from '../../functions/domain/routing-keys.js';
import type { MediaWorld } from '../media/media-world.js';
import type { ChannelSample, Served, Side } from './invariants.js';
import type { Recorder } from './recorder.js';
import type { DrillSandbox } from './seams.js';

export interface ControlPlaneWatch {
  /** Event id => epoch ms the bus took it (triage decisions are placed at their event's time). */
  eventTimes: Map<string, number>;
  /** Events the bus took since t = 0. */
  busEvents(): number;
  /** Operator requests that can start a failover (flatline.ops Failover / Drill Requested), as the bus took them. */
  operatorRequests: Array<{ eventId: string; at: number; channelId: string; detailType: string }>;
  /** Channel id => route flips so far. */
  routeFlips: Map<string, number>;
  /** Which origin of a channel's origin group is first now. */
  groupOrder(channelId: string): 'primary' | 'standby';
  stop(): void;
}

/** What a marker says of a MediaLive alert (its state and pipeline) or an alarm state change (name and new state). */
function eventDetail(d: Record<string, unknown>): string | undefined {
  if (typeof d.alarm_state === 'string') return `${d.alarm_state} pipeline ${String(d.pipeline)}`;
  const state = (d.state as { value?: unknown } | undefined)?.value;
  if (typeof d.alarmName === 'string' && typeof state === 'string') return `${d.alarmName} ${state}`;
  return undefined;
}

export function watchControlPlane(sb: DrillSandbox, registry: Registry, mainChannel: string, rec: Recorder): ControlPlaneWatch {
  const { mark } = rec;
  const eventTimes = new Map<string, number>();
  let busEvents = 0;
  const operatorRequests: ControlPlaneWatch['operatorRequests'] = [];
  const offEvent = sb.onEvent((e) => {
    eventTimes.set(e.id, e.at);
    if (e.source === OPS_SOURCE && (e.detailType === 'Failover Requested' || e.detailType === 'Drill Requested') && typeof e.detail.channelId === 'string')
      operatorRequests.push({ eventId: e.id, at: e.at, channelId: e.detail.channelId, detailType: e.detailType });
    if (e.at >= rec.t0) busEvents++;
    if (e.source === 'flatline.probe') {
      const d = e.detail as { channelId?: string; path?: string };
      mark('probe', `${e.detailType} ${d.path ?? ''}${d.channelId && d.channelId !== mainChannel ? ` (${d.channelId})` : ''}`, undefined, e.at);
    } else mark('event', `${e.source} ${e.detailType}`, eventDetail(e.detail), e.at);
  });
  // One KVS value carries route and slate (edge:<id>): a write flips the route only when the route changes.
  const routeFlips = new Map<string, number>();
  const edgeStates = new Map<string, EdgeState>(registry.channels.map((c) => [c.id, storedEdgeState(sb.kvsGet(c.edge.kvsArn, edgeKey(c.id)))]));
  const offKvs = sb.onKvsChange((c) => {
    if (!c.key.startsWith(EDGE_KEY_PREFIX)) return;
    const id = c.key.slice(EDGE_KEY_PREFIX.length);
    const before = edgeStates.get(id) ?? storedEdgeState(undefined);
    const after = storedEdgeState(c.value);
    edgeStates.set(id, after);
    if (after.route !== before.route) {
      routeFlips.set(id, (routeFlips.get(id) ?? 0) + 1);
      mark('route', `${c.key} route = ${after.route}`);
    }
    if (after.slate !== before.slate) mark('slate', `${c.key} slate = ${after.slate ? 'on' : 'off'}`);
  });
  const groupOrder = (id: string): 'primary' | 'standby' => {
    const c = registry.channels.find((x) => x.id === id)!;
    if (c.edge.originGroupId === undefined) return 'primary';
    return sb.originOrder(c.edge.distributionId, c.edge.originGroupId)[0] === c.standby.originId ? 'standby' : 'primary';
  };
  const lastOrder = new Map(registry.channels.map((c) => [c.id, groupOrder(c.id)]));
  const offGroups = sb.onOriginGroupChange(() => {
    for (const c of registry.channels) {
      const now = groupOrder(c.id);
      if (now !== lastOrder.get(c.id)) mark('origin-group', `origin group ${c.edge.originGroupId}: ${now} first`);
      lastOrder.set(c.id, now);
    }
  });
  return {
    eventTimes,
    busEvents: () => busEvents,
    operatorRequests,
    routeFlips,
    groupOrder,
    stop: () => {
      offEvent();
      offKvs();
      offGroups();
    },
  };
}

export interface StateSampler {
  /** Stops sampling once the sample in progress is taken. */
  stop(): Promise<void>;
}

const sideOf = (c: Channel, originId: string | undefined): Side => (originId === c.standby.originId ? 'standby' : 'primary');

/**
 * Samples, every `everyMs`, what the invariants judge: each side's freshness as the world knows it (its feed and
 * its origin, not the probe), what viewers at each edge location get, flatline's routing, its ledger and its
 * RUNNING executions. Samples go to `rec.samples`.
 */
export function sampleState(o: {
  sb: DrillSandbox;
  registry: Registry;
  world: MediaWorld;
  /** The KVS value the function at an edge location reads now. */
  kvsAt: (location: number, key: string) => string | undefined;
  locations: number;
  thresholdS: number;
  rec: Recorder;
  everyMs: number;
}): StateSampler {
  const { sb, world } = o;
  const thresholdMs = o.thresholdS * 1000;
  // The origin answers this channel's manifest: what makes an origin group fail over to its second member or not.
  const answers = (c: Channel, side: Side, now: number): boolean => {
    const feed = world.feed(c.id, side);
    const updated = feed.lastUpdatedMs(now);
    return world.origin(c[side].region).answering && updated !== null && (feed.staleNotFoundAfterMs === null || now - updated <= feed.staleNotFoundAfterMs);
  };
  const fresh = (c: Channel, side: Side, now: number): boolean => {
    const age = world.feed(c.id, side).ageMs(now);
    return answers(c, side, now) && age !== null && age <= thresholdMs;
  };
  const producing = (c: Channel, side: Side): boolean => world.feed(c.id, side).producing && world.origin(c[side].region).answering;
  const served = (c: Channel, raw: string | undefined, order: readonly [string, string], now: number): Served => {
    const value = raw === undefined ? null : decodeEdgeValue(raw);
    const state = edgeStateOf(value);
    if (state.slate) return 'slate';
    if (state.route === 'standby') return 'standby';
    // The primary route is an origin group: the one the value pins for the request, else the behaviour's in
    // `order`; its first member, or the second when the first does not answer.
    const first = sideOf(c, value?.g ? value.g[0] : order[0]);
    return answers(c, first, now) ? first : first === 'primary' ? 'standby' : 'primary';
  };
  const routing = (c: Channel): string => `${sb.kvsGet(c.edge.kvsArn, edgeKey(c.id)) ?? ''}|${sb.originOrder(c.edge.distributionId, c.edge.originGroupId).join(',')}`;
  const runningOf = (id: string): string[] => sb.executions().filter((x) => x.channelId === id && x.status === 'RUNNING').map((x) => x.name);

  const take = async (): Promise<void> => {
    const before = new Map(o.registry.channels.map((c) => [c.id, { routing: routing(c), running: runningOf(c.id) }]));
    const ledgers = await Promise.all(o.registry.channels.map((c) => sb.ledger(c.id).then((item) => ({ ok: true as const, item }), () => ({ ok: false as const, item: null }))));
    const now = Date.now();
    const channels: Record<string, ChannelSample> = {};
    o.registry.channels.forEach((c, i) => {
      const was = before.get(c.id)!;
      const running = [...new Set([...was.running, ...runningOf(c.id)])];
      const { ok, item } = ledgers[i]!;
      const central = storedEdgeState(sb.kvsGet(c.edge.kvsArn, edgeKey(c.id)));
      const order = sb.originOrder(c.edge.distributionId, c.edge.originGroupId);
      channels[c.id] = {
        fresh: { primary: fresh(c, 'primary', now), standby: fresh(c, 'standby', now) },
        producing: { primary: producing(c, 'primary'), standby: producing(c, 'standby') },
        served: Array.from({ length: o.locations }, (_, loc) => served(c, o.kvsAt(loc, edgeKey(c.id)), sb.deployedOriginOrder(c.edge.distributionId, c.edge.originGroupId), now)),
        intended: served(c, sb.kvsGet(c.edge.kvsArn, edgeKey(c.id)), order, now),
        route: central.route,
        slate: central.slate,
        originGroupFirst: sideOf(c, order[0]),
        ledger: !ok
          ? null
          : item === null
            ? { onAir: 'primary', phase: 'steady', lockHeld: false }
            : {
                onAir: item.onAir,
                phase: item.phase,
                lockHeld: (item.phase === 'failing-over' || item.phase === 'failing-back') && (item.lockExpiresAt === undefined || now < item.lockExpiresAt),
                ...(item.executionArn ? { executionName: item.executionArn.slice(item.executionArn.lastIndexOf(':') + 1) } : {}),
                ...lastOutcomeOf(item.recent),
              },
        running,
        steady: ok && running.length === 0 && was.routing === routing(c),
      };
    });
    o.rec.samples.push({ at: now, channels });
  };

  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      await take().catch(() => undefined);
      await new Promise((r) => setTimeout(r, Math.max(0, o.everyMs - (Date.now() - started))));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** How the latest incident on the ledger ended (its `incident-<outcome>` entry), if one did. */
function lastOutcomeOf(recent: ReadonlyArray<{ kind: string }> | undefined): { lastOutcome?: string } {
  const ended = [...(recent ?? [])].reverse().find((e) => e.kind.startsWith('incident-'));
  return ended ? { lastOutcome: ended.kind.slice('incident-'.length) } : {};
}

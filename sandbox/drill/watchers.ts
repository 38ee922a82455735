// Watches the control plane during a drill: every event the bus takes, every KVS change and every origin
// group reorder becomes a marker; the counts the report and the expectations need are kept here.
import type { Registry } from '../../functions/domain/registry/index.js';
import { EDGE_KEY_PREFIX, edgeKey, storedEdgeState, type EdgeState } from '../../functions/domain/routing-keys.js';
import type { Recorder } from './recorder.js';
import type { DrillSandbox } from './seams.js';

export interface ControlPlaneWatch {
  /** Event id => epoch ms the bus took it (triage decisions are placed at their event's time). */
  eventTimes: Map<string, number>;
  /** Events the bus took since t = 0. */
  busEvents(): number;
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
  const offEvent = sb.onEvent((e) => {
    eventTimes.set(e.id, e.at);
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
    routeFlips,
    groupOrder,
    stop: () => {
      offEvent();
      offKvs();
      offGroups();
    },
  };
}

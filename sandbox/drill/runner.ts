// Runs one drill in the embedded sandbox: the AWS sandbox (real triage, real state machines, real steps),
// the media world (origins fed by the sandbox's MediaLive channels, the edge running the real edge
// function), the real probe loop publishing to the sandbox's EventBridge, and the viewers. It plays the
// scenario's timeline, waits for its expectations, and measures everything into a DrillReport.
import { performance } from 'node:perf_hooks';
import { MANIFEST_STALE, type ProbePath } from '../../functions/domain/contracts.js';
import { awsClients } from '../../functions/lib/aws-clients.js';
import { eventBridgePublisher } from '../../functions/domain/probe/events.js';
import { createProbeLoop, type TickReport } from '../../functions/domain/probe/loop.js';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import { parseRegistry, type Registry } from '../../functions/domain/registry/index.js';
import { EDGE_KEY_PREFIX, edgeKey, storedEdgeState, type EdgeState } from '../../functions/domain/routing-keys.js';
import { targetDurationS } from '../media/hls.js';
import { ViewerFleet } from '../media/viewers.js';
import { applyAction, REPO_ROOT } from './actions.js';
import { startDrillRig, type DrillRig } from './drill-rig.js';
import { evaluate, type ChannelFacts, type DrillFacts } from './expectations.js';
import type { DrillReport, Goal, Marker, MarkerKind, SeriesPoint } from './report.js';
import type { Scenario } from './scenario.js';

export interface DrillProgress {
  phase: 'starting' | 'warm-up' | 'drill' | 'settling';
  t: number;
  ages: Partial<Record<ProbePath, number | null>>;
  stalledShare: number;
  step: string | null;
  onAirHint: string;
}

export interface DrillOptions {
  /** Overrides the scenario's viewer count. */
  viewers?: number;
  /** Probe tick; default half a target duration (detection within staleAfter + consecutive x tick). */
  probeTickMs?: number;
  /** The registry to drill (default config/registry.example.yml). */
  registryPath?: string;
  onProgress?: (p: DrillProgress) => void;
}

/** The services flatline acts through: a mutating call to one of them is an action. */
const ACTION_SERVICES = new Set(['medialive', 'cloudfront', 'cloudfront-keyvaluestore', 'sns', 'states']);
const SAMPLE_EVERY_MS = 250;
const SETTLE_TAIL_TD = 6;
const SETTLE_LIMIT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function withPolicy(registry: Registry, policy: Scenario['policy']): Registry {
  if (!policy) return registry;
  return parseRegistry({ channels: registry.channels.map((c) => ({ ...c, policy: { ...c.policy, ...policy } })) }, 'drill registry');
}

export async function runDrill(scenario: Scenario, opts: DrillOptions = {}): Promise<DrillReport> {
  const wallStart = performance.now();
  const registry = withPolicy(readRegistryFile(opts.registryPath ?? `${REPO_ROOT}config/registry.example.yml`), scenario.policy);
  const channel = registry.channels.find((c) => c.id === scenario.channel);
  if (!channel) throw new Error(`scenario ${scenario.name}: channel ${scenario.channel} is not in the registry`);
  const segmentMs = scenario.segmentSeconds * 1000;
  const td = targetDurationS(segmentMs);
  const thresholdS = channel.policy.staleAfterTargetDurations * td;
  const probeTickMs = opts.probeTickMs ?? Math.round((td * 1000) / 2);
  const startedAt = new Date().toISOString();

  const markers: Marker[] = [];
  const series: SeriesPoint[] = [];
  const cleanups: Array<() => void> = [];
  let t0 = Date.now();
  const tOf = (epochMs: number): number => (epochMs - t0) / 1000;
  const recent = new Map<string, Marker & { count: number }>();
  const mark = (kind: MarkerKind, label: string, detail?: string, at = Date.now()): void => {
    // Storms of identical markers (1,000 duplicate events) collapse into one with a count.
    const key = `${kind}|${label}|${kind === 'decision' ? (detail ?? '') : ''}`;
    const prev = recent.get(key);
    const t = tOf(at);
    if (prev && t - prev.t < 5) {
      prev.count++;
      prev.detail = `x${prev.count}${detail ? `; ${detail}` : ''}`;
      return;
    }
    const m = { t, kind, label, count: 1, ...(detail ? { detail } : {}) };
    recent.set(key, m);
    markers.push(m);
  };

  const progress = (p: Omit<DrillProgress, 'onAirHint'>): void => opts.onProgress?.({ ...p, onAirHint: '' });
  progress({ phase: 'starting', t: 0, ages: {}, stalledShare: 0, step: null });

  let env: DrillRig | undefined;
  let fleet: ViewerFleet | undefined;
  let probe: ReturnType<typeof createProbeLoop> | undefined;
  let error: string | undefined;
  let freezeT: number | null = null;
  const staleTransitions: number[] = [];
  let phase: DrillProgress['phase'] = 'warm-up';
  try {
    env = await startDrillRig(registry, {
      feed: { segmentMs, windowSegments: 8, staleNotFoundAfterMs: scenario.staleManifest404 ? 3 * segmentMs : null },
    });
    const sb = env.sandbox;
    const w = env.world;

    // Markers for everything the control plane does.
    const eventTimes = new Map<string, number>();
    let busEvents = 0;
    cleanups.push(
      sb.onEvent((e) => {
        eventTimes.set(e.id, e.at);
        if (e.at >= t0) busEvents++;
        if (e.source === 'flatline.probe') {
          const d = e.detail as { channelId?: string; path?: string };
          mark('probe', `${e.detailType} ${d.path ?? ''}${d.channelId && d.channelId !== channel.id ? ` (${d.channelId})` : ''}`, undefined, e.at);
        } else mark('event', `${e.source} ${e.detailType}`, typeof e.detail.alarm_state === 'string' ? `${e.detail.alarm_state} pipeline ${String(e.detail.pipeline)}` : undefined, e.at);
      }),
    );
    // One KVS value carries route and slate (edge:<id>): a write flips the route only when the route changes.
    const routeFlips = new Map<string, number>();
    const edgeStates = new Map<string, EdgeState>(registry.channels.map((c) => [c.id, storedEdgeState(sb.kvsGet(c.edge.kvsArn, edgeKey(c.id)))]));
    cleanups.push(
      sb.onKvsChange((c) => {
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
      }),
    );
    const groupOrder = (id: string): string => {
      const c = registry.channels.find((x) => x.id === id)!;
      return sb.originOrder(c.edge.distributionId, c.edge.originGroupId)[0] === c.standby.originId ? 'standby' : 'primary';
    };
    const lastOrder = new Map(registry.channels.map((c) => [c.id, groupOrder(c.id)]));
    cleanups.push(
      sb.onOriginGroupChange(() => {
        for (const c of registry.channels) {
          const now = groupOrder(c.id);
          if (now !== lastOrder.get(c.id)) mark('origin-group', `origin group ${c.edge.originGroupId}: ${now} first`);
          lastOrder.set(c.id, now);
        }
      }),
    );

    fleet = new ViewerFleet({ edgeUrl: w.edge.url, channelId: channel.id, count: opts.viewers ?? scenario.viewers, targetDurationMs: td * 1000 });
    const viewers = fleet;
    const ages = (r: TickReport): Partial<Record<ProbePath, number | null>> => {
      const paths = r.channels.find((c) => c.channelId === channel.id)?.paths ?? {};
      const age = (p: ProbePath): number | null => {
        const a = paths[p]?.ageMs;
        return a === null || a === undefined ? null : a / 1000;
      };
      return { edge: age('edge'), primary: age('primary'), standby: age('standby') };
    };
    probe = createProbeLoop({
      registry: w.registry,
      tickMs: probeTickMs,
      publish: eventBridgePublisher(awsClients('probe').eventBridge(), process.env.EVENT_BUS_NAME ?? 'default'),
      onTick: (r) => {
        for (const tr of r.transitions)
          if (tr.detail.channelId === channel.id && tr.detailType === MANIFEST_STALE && (tr.detail.path === 'primary' || tr.detail.path === 'edge')) staleTransitions.push(tOf(Date.parse(tr.detail.observedAt)));
        const a = ages(r);
        const snap = viewers.snapshot();
        const share = snap.viewers ? snap.stalled / snap.viewers : 0;
        series.push({ t: tOf(r.at), edgeAgeS: a.edge ?? null, primaryAgeS: a.primary ?? null, standbyAgeS: a.standby ?? null, stalledShare: share, slateShare: snap.viewers ? snap.onSlate / snap.viewers : 0 });
        const running = sb.executions().find((x) => x.status === 'RUNNING');
        progress({ phase, t: tOf(Date.now()), ages: a, stalledShare: share, step: running ? `${running.action}: ${running.steps.at(-1)?.name ?? 'starting'}` : null });
      },
      onError: () => {
        // A failed publish is retried by the loop on the next tick; the drill measures the consequences.
      },
    });

    // Warm-up: everyone on the air and the probe settled on "fresh" before the first fault.
    t0 = Date.now() + scenario.warmupSeconds * 1000;
    probe.start();
    viewers.start();
    const warmDeadline = Date.now() + scenario.warmupSeconds * 1000 + 15_000;
    while (Date.now() < t0 || !viewers.allStarted) {
      if (Date.now() > warmDeadline) throw new Error('warm-up: viewers could not start playing');
      await sleep(50);
    }
    t0 = Date.now();
    phase = 'drill';

    // The timeline.
    const ctx = { sandbox: sb, world: w, registry, channelId: channel.id, mark, onCleanup: (fn: () => void) => cleanups.push(fn) };
    const primaryFeed = w.feed(channel.id, 'primary');
    const watchFreeze = (): void => {
      if (freezeT === null && !primaryFeed.producing) {
        const updated = primaryFeed.lastUpdatedMs();
        freezeT = updated === null ? tOf(Date.now()) : tOf(updated);
      }
    };
    primaryFeed.channel.on('output', watchFreeze);
    cleanups.push(() => primaryFeed.channel.off('output', watchFreeze));
    const timers = scenario.timeline.map((action) =>
      setTimeout(() => {
        try {
          applyAction(ctx, action);
        } catch (err) {
          error ??= `action ${action.action} at ${action.at}s: ${(err as Error).message}`;
        }
        watchFreeze();
      }, action.at * 1000),
    );
    cleanups.push(() => timers.forEach(clearTimeout));
    const lastActionS = Math.max(0, ...scenario.timeline.map((a) => a.at));
    // Keep watching a while after the last action, so the report shows the recovery and what follows.
    const minS = Math.max(scenario.minSeconds, lastActionS + SETTLE_TAIL_TD * td);

    // Run until every expectation holds (and nothing is still running), or the scenario's time is up.
    for (;;) {
      await sleep(SAMPLE_EVERY_MS);
      const t = tOf(Date.now());
      if (error || t >= scenario.maxSeconds) break;
      if (t < minS) continue;
      if (sb.executions().some((x) => x.status === 'RUNNING')) continue;
      const facts = await gatherFacts();
      if (scenario.expectations.every((e) => evaluate(e, facts).pass)) break;
    }
    phase = 'settling';
    await probe.stop();
    await viewers.stop();
    // Let deliveries and executions in flight finish, but never wait for ever (an event storm can leave a queue).
    await Promise.race([sb.idle(), sleep(SETTLE_LIMIT_MS)]);

    // ---- measurements -------------------------------------------------------------------------------
    async function gatherFacts(): Promise<DrillFacts> {
      const channels: Record<string, ChannelFacts> = {};
      const notes = sb.notifications();
      for (const c of registry.channels) {
        const item = await sb.ledger(c.id).catch(() => null);
        channels[c.id] = {
          ...storedEdgeState(sb.kvsGet(c.edge.kvsArn, edgeKey(c.id))),
          originGroupFirst: groupOrder(c.id) as 'primary' | 'standby',
          onAir: item?.onAir ?? null,
          standbyState: sb.channel(c.standby.region, c.standby.channelId).state,
          routeFlips: routeFlips.get(c.id) ?? 0,
          executions: sb.executions().filter((x) => x.channelId === c.id),
          notifications: notes.filter((n) => `${n.subject ?? ''} ${n.message}`.includes(c.id)),
        };
      }
      const recovery = recoveryOf(series, freezeT, thresholdS);
      return {
        channelId: channel!.id,
        targetDurationS: td,
        timeToRecoverS: recovery,
        freezeT,
        longestStallS: viewers.summary().longestStallMs / 1000,
        mutatingActionCalls: sb.calls().filter((c) => c.mutating && ACTION_SERVICES.has(c.service) && c.at >= t0).length,
        rejectedEvents: sb.rejected(),
        channels,
      };
    }
    const facts = await gatherFacts();
    const expectations = scenario.expectations.map((e) => evaluate(e, facts));

    for (const x of sb.executions()) {
      mark('execution', `${x.action} ${x.channelId === channel.id ? '' : `(${x.channelId}) `}started`, x.name, x.startedAt);
      for (const s of x.steps) mark('step', s.name, s.error, s.enteredAt);
      if (x.stoppedAt) mark('execution', `${x.action} ${x.status}`, x.error, x.stoppedAt);
    }
    for (const d of sb.decisions()) {
      const at = eventTimes.get(d.eventId);
      const who = d.channelId && d.channelId !== channel.id ? ` (${d.channelId})` : '';
      if (d.decision) mark('decision', `triage: ${d.decision}${who}`, d.reason, at);
      else if (!d.ok) mark('decision', 'triage: rejected', d.error, at);
    }
    markers.sort((a, b) => a.t - b.t);
    for (const n of sb.notifications()) mark('notify', `SNS: ${(n.subject ?? n.message).slice(0, 60)}`, undefined, n.at);

    const summary = viewers.summary();
    const main = facts.channels[channel.id]!;
    const calls = sb.calls().filter((c) => c.at >= t0);
    const awsCalls: Record<string, number> = {};
    for (const c of calls) awsCalls[c.service] = (awsCalls[c.service] ?? 0) + 1;
    const firstFailover = main.executions.filter((x) => x.action === 'failover').map((x) => tOf(x.startedAt))[0];
    const detectT = [...staleTransitions.filter((t) => freezeT !== null && t >= freezeT), ...(firstFailover === undefined ? [] : [firstFailover])].sort((a, b) => a - b)[0];
    const timeToDetectS = freezeT !== null && detectT !== undefined ? detectT - freezeT : null;
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const goals: Goal[] = [];
    if (timeToDetectS !== null) {
      const bound = thresholdS + channel.policy.consecutive * (probeTickMs / 1000);
      goals.push({ name: 'detection within staleAfter + consecutive x tick', value: `${timeToDetectS.toFixed(2)} s`, goal: `<= ${bound.toFixed(2)} s`, pass: timeToDetectS <= bound });
    }
    if (facts.timeToRecoverS !== null && channel.standby.mode === 'warm' && main.route === 'standby') {
      const tds = facts.timeToRecoverS / td;
      goals.push({ name: 'warm standby: viewers back on fresh manifests', value: `${tds.toFixed(1)} TD`, goal: '<= 4 TD', pass: tds <= 4 });
    }
    goals.push({ name: 'drill wall time', value: `${wallSeconds.toFixed(1)} s`, goal: '< 60 s', pass: wallSeconds < 60 });

    return {
      scenario: { name: scenario.name, title: scenario.title, description: scenario.description.trim() },
      channelId: channel.id,
      mode: 'sandbox',
      startedAt,
      targetDurationS: td,
      thresholdS,
      probeTickS: probeTickMs / 1000,
      freezeT,
      series,
      markers: markers.map(({ t, kind, label, detail }) => ({ t, kind, label, ...(detail ? { detail } : {}) })),
      summary: {
        timeToDetectS,
        timeToDetectTD: timeToDetectS === null ? null : timeToDetectS / td,
        timeToRecoverS: facts.timeToRecoverS,
        timeToRecoverTD: facts.timeToRecoverS === null ? null : facts.timeToRecoverS / td,
        longestStallS: summary.longestStallMs / 1000,
        longestStallTD: summary.longestStallMs / 1000 / td,
        rebufferRatio: summary.rebufferRatio,
        viewers: summary.viewers,
        viewersStalled: summary.viewersStalled,
        executions: { failover: main.executions.filter((x) => x.action === 'failover').length, failback: main.executions.filter((x) => x.action === 'failback').length },
        executionOutcomes: sb.executions().map((x) => ({ name: x.name, action: x.action, status: x.status })),
        awsCalls,
        mutatingCalls: calls.filter((c) => c.mutating).length,
        eventsPut: busEvents,
        rejectedEvents: facts.rejectedEvents,
        notifications: main.notifications.length,
        routeFlips: main.routeFlips,
        final: { route: main.route, slate: main.slate, originGroupFirst: main.originGroupFirst, onAir: main.onAir, standbyState: main.standbyState },
        wallSeconds,
        goals,
      },
      expectations,
      passed: !error && expectations.every((e) => e.pass),
      ...(error ? { error } : {}),
    };
  } catch (err) {
    error = (err as Error).stack ?? String(err);
    throw err;
  } finally {
    for (const fn of cleanups.splice(0)) fn();
    await probe?.close().catch(() => undefined);
    await fleet?.stop().catch(() => undefined);
    await env?.close();
  }
}

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

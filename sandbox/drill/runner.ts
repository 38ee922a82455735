// Runs one drill in the embedded sandbox: the AWS sandbox (real triage, real state machines, real steps),
// the media world (origins fed by the sandbox's MediaLive channels, the edge running the real edge
// function), the real probe loop publishing to the sandbox's EventBridge, and the viewers. It plays the
// scenario's timeline, waits for its expectations, and measures everything into a DrillReport.
import { performance } from 'node:perf_hooks';
import { MANIFEST_STALE, type ProbePath } from '../../functions/domain/contracts.js';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { eventBridgePublisher } from '../../functions/domain/probe/events.js';
import { createProbeLoop, type TickReport } from '../../functions/domain/probe/loop.js';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import { parseRegistry, type Registry } from '../../functions/domain/registry/index.js';
import { EDGE_KEY_PREFIX } from '../../functions/domain/routing-keys.js';
import { targetDurationS } from '../media/hls.js';
import { ViewerFleet } from '../media/viewers.js';
import type { MediaWorld } from '../media/media-world.js';
import { applyAction, REPO_ROOT } from './actions.js';
import { startDrillRig, type DrillRig } from './drill-rig.js';
import { evaluate } from './expectations.js';
import { gatherFacts } from './facts.js';
import { createRecorder, type Recorder } from './recorder.js';
import { buildReport } from './report-builder.js';
import type { DrillReport, WallPhases } from './report.js';
import type { Scenario } from './scenario.js';
import type { DrillSandbox } from './seams.js';
import { playTimeline } from './timeline.js';
import { sampleState, watchControlPlane } from './watchers.js';
import type { KvsVisible } from '../media/edge-locations.js';
import { worldModel } from '../world-model.js';

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
  /** Overrides the scenario's world model. */
  world?: 'realistic' | 'ideal';
  /** Overrides the scenario's seed. */
  seed?: number;
  /** The registry to drill (default config/registry.example.yml). */
  registryPath?: string;
  onProgress?: (p: DrillProgress) => void;
}

const SAMPLE_EVERY_MS = 250;
/** The invariants' samples of the world and the control plane (each reads every channel's ledger once). */
const STATE_SAMPLE_MS = 500;
const SETTLE_TAIL_TD = 6;
const SETTLE_LIMIT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A bound raced against the work it bounds: once the work won, its timer must not hold the process open. */
const atMost = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

function withPolicy(registry: Registry, policy: Scenario['policy']): Registry {
  if (!policy) return registry;
  return parseRegistry({ ...registry, channels: registry.channels.map((c) => ({ ...c, policy: { ...c.policy, ...policy } })) }, 'drill registry');
}

type Phase = DrillProgress['phase'];

/** The real probe loop, publishing to the sandbox's bus; each tick adds a series point and a progress report. */
function startProbe(
  o: { sb: DrillSandbox; world: MediaWorld; channelId: string; tickMs: number; rec: Recorder; viewers: ViewerFleet; phase: () => Phase; onProgress: (p: Omit<DrillProgress, 'onAirHint'>) => void },
  staleTransitions: number[],
): ReturnType<typeof createProbeLoop> {
  const { rec, viewers, channelId } = o;
  // The deadline schedule fetches a path only when it is due; in between, a tick repeats the path's last
  // report. The age at the tick is then the observed age plus the time since it was observed: reading the
  // stale number as-is would make a frozen edge look fresh (and the recovery look instant).
  const lastSeen = new Map<ProbePath, { ageMs: number; at: number }>();
  const ages = (r: TickReport): Partial<Record<ProbePath, number | null>> => {
    const paths = r.channels.find((c) => c.channelId === channelId)?.paths ?? {};
    const age = (p: ProbePath): number | null => {
      const report = paths[p];
      if (report?.observed && report.ageMs !== null) lastSeen.set(p, { ageMs: report.ageMs, at: r.at });
      const seen = lastSeen.get(p);
      return seen === undefined ? null : (seen.ageMs + (r.at - seen.at)) / 1000;
    };
    return { edge: age('edge'), primary: age('primary'), standby: age('standby') };
  };
  const probe = createProbeLoop({
    registry: o.world.registry,
    tickMs: o.tickMs,
    publish: eventBridgePublisher(awsClients('probe').eventBridge(), process.env.EVENT_BUS_NAME ?? 'default'),
    onTick: (r) => {
      // The ManifestAge datapoints of the probe's EMF documents (functions/probe/metrics.ts: an observed path
      // whose fetch succeeded); feeding every channel's is the same to the alarms, healthy ones being under threshold.
      for (const c of r.channels) for (const p of Object.values(c.paths)) if (p.observed && p.ageMs !== null && p.fetchErrors === 0) o.sb.putManifestAge(c.channelId, p.path, p.ageMs, r.at);
      // Its Heartbeat (functions/probe/metrics.ts: ticks run, summed by the shard's alarm).
      o.sb.putHeartbeat(r.at);
      for (const tr of r.transitions)
        if (tr.detail.channelId === channelId && tr.detailType === MANIFEST_STALE && (tr.detail.path === 'primary' || tr.detail.path === 'edge')) staleTransitions.push(rec.tOf(Date.parse(tr.detail.observedAt)));
      const a = ages(r);
      const snap = viewers.snapshot();
      const share = snap.viewers ? snap.stalled / snap.viewers : 0;
      rec.series.push({ t: rec.tOf(r.at), edgeAgeS: a.edge ?? null, primaryAgeS: a.primary ?? null, standbyAgeS: a.standby ?? null, stalledShare: share, slateShare: snap.viewers ? snap.onSlate / snap.viewers : 0 });
      const running = o.sb.executions().find((x) => x.status === 'RUNNING');
      o.onProgress({ phase: o.phase(), t: rec.tOf(Date.now()), ages: a, stalledShare: share, step: running ? `${running.action}: ${running.steps.at(-1)?.name ?? 'starting'}` : null });
    },
    onError: () => {
      // A failed publish is retried by the loop on the next tick; the drill measures the consequences.
    },
  });
  return probe;
}

/** Warm-up: everyone on the air and the probe settled on "fresh" before the first fault; then t = 0. */
async function warmUp(rec: Recorder, viewers: ViewerFleet, warmupSeconds: number): Promise<void> {
  rec.t0 = Date.now() + warmupSeconds * 1000;
  const warmDeadline = Date.now() + warmupSeconds * 1000 + 15_000;
  while (Date.now() < rec.t0 || !viewers.allStarted) {
    if (Date.now() > warmDeadline) throw new Error('warm-up: viewers could not start playing');
    await sleep(50);
  }
  rec.t0 = Date.now();
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
}

export async function runDrill(scenario: Scenario, opts: DrillOptions = {}): Promise<DrillReport> {
  const wallStart = performance.now();
  // The process's user + system CPU over the drill: beside the wall time it shows how much of the drill waits on the world's clocks.
  const cpuStart = process.cpuUsage();
  // Where the wall time goes: each phase's seconds, from the end of the previous one.
  const wallPhases: WallPhases = { startS: 0, warmupS: 0, runS: 0, settleS: 0 };
  let lapAt = wallStart;
  const lap = (phase: keyof WallPhases): void => {
    const now = performance.now();
    wallPhases[phase] = (now - lapAt) / 1000;
    lapAt = now;
  };
  const registry = withPolicy(readRegistryFile(opts.registryPath ?? `${REPO_ROOT}config/registry.example.yml`), scenario.policy);
  const channel = registry.channels.find((c) => c.id === scenario.channel);
  if (!channel) throw new Error(`scenario ${scenario.name}: channel ${scenario.channel} is not in the registry`);
  const segmentMs = scenario.segmentSeconds * 1000;
  const td = targetDurationS(segmentMs);
  const thresholdS = channel.policy.staleAfterTargetDurations * td;
  const probeTickMs = opts.probeTickMs ?? Math.round((td * 1000) / 2);
  const startedAt = new Date().toISOString();

  const world = worldModel(opts.world ?? scenario.world, scenario.worldOverrides);
  const seed = opts.seed ?? scenario.seed;
  const rec = createRecorder();
  const kvsVisible: KvsVisible[] = [];
  const cleanups: Array<() => void> = [];
  const progress = (p: Omit<DrillProgress, 'onAirHint'>): void => opts.onProgress?.({ ...p, onAirHint: '' });
  progress({ phase: 'starting', t: 0, ages: {}, stalledShare: 0, step: null });

  let env: DrillRig | undefined;
  let fleet: ViewerFleet | undefined;
  let probe: ReturnType<typeof createProbeLoop> | undefined;
  let error: string | undefined;
  let freezeT: number | null = null;
  let faultT: number | null = null;
  const staleTransitions: number[] = [];
  let phase: Phase = 'warm-up';
  try {
    env = await startDrillRig(registry, {
      feed: { segmentMs, windowSegments: 8, staleNotFoundAfterMs: scenario.staleManifest404 ? 3 * segmentMs : null },
      sandbox: { world, seed },
    });
    lap('startS');
    const rig = env;
    const sb = env.sandbox;
    const w = env.world;
    const watch = watchControlPlane(sb, registry, channel.id, rec);
    cleanups.push(() => watch.stop());
    cleanups.push(
      rig.onKvsVisible((v) => {
        kvsVisible.push(v);
        if (v.key.startsWith(EDGE_KEY_PREFIX)) rec.mark('edge', `edge location ${v.location + 1}: ${v.key} = ${v.value ?? '(deleted)'}`, undefined, v.at);
      }),
    );

    const sampler = sampleState({ sb, registry, world: w, kvsAt: rig.kvsAt, locations: rig.edgeUrls.length, thresholdS, rec, everyMs: STATE_SAMPLE_MS });
    cleanups.push(() => void sampler.stop());

    fleet = new ViewerFleet({ edgeUrl: w.edge.url, edgeUrls: rig.edgeUrls, channelId: channel.id, count: opts.viewers ?? scenario.viewers, targetDurationMs: td * 1000 });
    const viewers = fleet;
    sb.startAlarms(td);
    probe = startProbe({ sb, world: w, channelId: channel.id, tickMs: probeTickMs, rec, viewers, phase: () => phase, onProgress: progress }, staleTransitions);
    probe.start();
    viewers.start();
    await warmUp(rec, viewers, scenario.warmupSeconds);
    lap('warmupS');
    phase = 'drill';

    // The timeline; the freeze is the primary's newest media end when its feed stops producing.
    const ctx = { sandbox: sb, world: w, registry, channelId: channel.id, mark: rec.mark, onCleanup: (fn: () => void) => cleanups.push(fn), probe };
    const primaryFeed = w.feed(channel.id, 'primary');
    const watchFreeze = (): void => {
      if (freezeT === null && !primaryFeed.producing) {
        const updated = primaryFeed.lastUpdatedMs();
        faultT = rec.tOf(Date.now());
        freezeT = updated === null ? faultT : rec.tOf(updated);
      }
    };
    primaryFeed.channel.on('output', watchFreeze);
    cleanups.push(() => primaryFeed.channel.off('output', watchFreeze));
    const timeline = playTimeline({
      actions: scenario.timeline,
      t0: rec.t0,
      executions: () => sb.executions().filter((x) => x.channelId === channel.id),
      apply: (action) => {
        try {
          applyAction(ctx, action);
        } catch (err) {
          const at = action.after ? `${action.at}s after ${action.after}` : `${action.at}s`;
          error ??= `action ${action.action} at ${at}: ${(err as Error).message}`;
        }
        watchFreeze();
      },
    });
    cleanups.push(() => timeline.stop());
    // Keep watching a while after the last action, so the report shows the recovery and what follows.
    const minS = (): number => Math.max(scenario.minSeconds, rec.tOf(timeline.lastAppliedAt()) + SETTLE_TAIL_TD * td);
    const facts = () => gatherFacts({ sb, registry, channelId: channel.id, targetDurationS: td, thresholdS, watch, viewers, freezeT, faultT, t0: rec.t0, rec, probeTickS: probeTickMs / 1000 });

    // Run until every expectation holds (and nothing is still running), or the scenario's time is up.
    for (;;) {
      await sleep(SAMPLE_EVERY_MS);
      const t = rec.tOf(Date.now());
      if (error || t >= scenario.maxSeconds) break;
      if (timeline.pending() > 0 || t < minS()) continue;
      if (sb.executions().some((x) => x.status === 'RUNNING')) continue;
      const f = await facts();
      if (scenario.expectations.every((e) => evaluate(e, f).pass)) break;
    }
    for (const a of timeline.waitingForMilestone()) rec.mark('fault', `${a.action} not applied: ${String(a.after)} never happened`);
    lap('runS');
    phase = 'settling';
    await probe.stop();
    await viewers.stop();
    // Let flatline's deliveries and executions in flight finish, but never wait for ever (an event storm can
    // leave a queue). World events still on their way (a MediaLive alert in its 2-30 s delay) are not waited
    // for: they come after the drill's end, as they would after any moment it could have ended.
    await Promise.race([sb.controlPlaneIdle(), atMost(SETTLE_LIMIT_MS)]);
    // The last sample sees the world at rest (or not): the invariants judge up to here.
    await sampler.stop();
    lap('settleS');

    return buildReport({
      scenario,
      channel,
      sb,
      rec,
      watch,
      viewers,
      facts: await facts(),
      startedAt,
      targetDurationS: td,
      thresholdS,
      probeTickMs,
      staleTransitions,
      kvsVisible,
      edgeLocations: rig.edgeUrls.length,
      seed,
      wallSeconds: (performance.now() - wallStart) / 1000,
      wallPhases,
      cpuSeconds: cpuSecondsSince(cpuStart),
      error,
    });
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

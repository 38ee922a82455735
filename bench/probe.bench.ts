// Probe benchmark: 1,000 channels x 6 renditions served by a live HLS origin in ANOTHER process
// (sandbox/testkit/origin-process.ts, playlists generated on the fly with PDT). Measured side by side in one run:
//  - manifests per second of a full sweep (goal >= 5,000/s on a 2-core machine), against the named peer:
//    a naive sequential loop (plain fetch(), one manifest at a time, the same age analysis), which is how
//    existing monitors poll;
//  - detection with the production loop (deadline schedule, the Lambda's defaults: concurrency 256, EMF emitted
//    every tick) over 1,000 channels x 6 renditions x 3 paths, segments up to half a target duration late:
//    60 freezes of ONE rendition (40 on the origins: a p95 that is not the worst of a handful), the time from the
//    end of its newest media to its `Manifest Stale`
//    (goal p95 <= staleAfter x target duration + 0.5 s on the origin paths; the edge path has its own physical
//    bound, see edgeBound()), every freeze caught, no transition for anything else, and the fetches per channel
//    against the sweep at the Lambda's 2 s tick. Twice: in production's layout (the fleet in shards of
//    channelsPerProbeShard channels, each in a Lambda of its own: here each shard in a process of its own,
//    bench/probe-shard.ts, every shard of the fleet, as many at once as the machine has cores, the goals judged on
//    them) and, for scale, the whole fleet in this one process (no goal: production never runs it, and on this
//    machine it needs more CPU than there is, see the demand row).
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { analyzeManifest, cacheTtlMs } from '../functions/domain/manifest/index.js';
import { createFetcher, createProbeLoop, DEFAULT_FETCHER_OPTIONS, shardOf } from '../functions/domain/probe/index.js';
import { DEFAULT_CHANNELS_PER_PROBE_SHARD } from '../deploy/context.js';
import { fleet } from '../sandbox/testkit/fleet.js';
import { benchLoop } from './probe-loop.js';
import type { FromShard, ShardTotals, ToShard } from './probe-shard.js';
import type { BenchRow, BenchSection } from './types.js';

const CHANNELS = 1000;
const RENDITIONS = 6;
const SEGMENT_S = 2;
const TICK_MS = 2000;
/**
 * The tick at which a sweep comes closest to the detection goal (at the 2 s default it detects about a target
 * duration later than the deadline schedule): the fetch count is compared with this sweep, as in
 * test/probe/deadline.test.ts. At a 2 s tick (= the target duration) a sweep fetches every rendition once per target
 * duration, which is what learning every segment costs in any schedule.
 */
const CLOSE_SWEEP_TICK_MS = 1000;
const MEASURED_SWEEPS = 5;
// On loopback a round trip takes ~0.1 ms, so a few dozen requests in flight keep both processes busy; more only
// adds context switches. Against a real origin size it by Little's law (rate x RTT: 5,000/s x 50 ms = 250,
// the Lambda's PROBE_CONCURRENCY default is 256).
const IN_FLIGHT = 32;
const NAIVE_BUDGET_MS = 3000;
const STALE_AFTER = 1.5;
const CONSECUTIVE = 2;
/** Segments appear up to this fraction of a target duration late. */
const JITTER = 0.5;
const STALLS = 60;
/** Between two freezes (each lasts until the end of the run). */
const STALL_EVERY_MS = 700;
/** What fetching, parsing and scheduling may add to a physical bound. */
const SLACK_MS = 500;
const DETECTION_GOAL_MS = STALE_AFTER * SEGMENT_S * 1000 + SLACK_MS;
const FETCH_WINDOW_MS = 10_000;
const WARM_UP_MAX_MS = 60_000;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const originScript = fileURLToPath(new URL('../sandbox/testkit/origin-process.ts', import.meta.url));
const shardScript = fileURLToPath(new URL('./probe-shard.ts', import.meta.url));

type FromOrigin = { type: 'ready'; base: string } | { type: 'stalled'; stream: string; rendition?: string; newestMediaEnd: number };

function startOrigin(): Promise<{ child: ChildProcess; base: string; next: () => Promise<FromOrigin> }> {
  const child = fork(originScript, [], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ORIGIN_SEGMENT_S: String(SEGMENT_S), ORIGIN_JITTER: String(JITTER) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: FromOrigin[] = [];
  const waiting: Array<(m: FromOrigin) => void> = [];
  child.on('message', (m: FromOrigin) => {
    const w = waiting.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  const next = (): Promise<FromOrigin> => {
    const m = inbox.shift();
    return m ? Promise.resolve(m) : new Promise((resolve) => waiting.push(resolve));
  };
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`origin process exited with ${code}`)));
    // The first message settles this promise; next() never rejects (the child's error and exit reject above).
    void next().then((m) => {
      if (m.type === 'ready') resolve({ child, base: m.base, next });
    });
  });
}

const ids = Array.from({ length: CHANNELS }, (_, i) => `ch-${String(i).padStart(4, '0')}`);

export async function run(): Promise<BenchSection> {
  const { child, base, next } = await startOrigin();
  const registry = fleet(base, ids, { staleAfterTargetDurations: STALE_AFTER, consecutive: CONSECUTIVE });
  const fetcher = createFetcher({ concurrency: IN_FLIGHT, timeoutMs: 5000 });
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  try {
    // 1. Throughput of a sweep (primary origin path: 1,000 channels x 6 renditions = 6,000 manifests per sweep).
    const sweep = createProbeLoop({ registry, paths: ['primary'], fetcher, schedule: 'sweep', publish: async () => {} });
    await sweep.tick(); // warm-up: multivariant playlists, connections
    let manifests = 0;
    let errors = 0;
    let sweepMs = 0;
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < MEASURED_SWEEPS; i++) {
      const r = await sweep.tick();
      manifests += r.fetches;
      errors += r.fetchErrors;
      sweepMs += r.durationMs;
    }
    const rate = manifests / (sweepMs / 1000);
    const cpu = process.cpuUsage(cpuBefore);
    // Independent of how busy the machine is: the probe's own CPU per manifest (fetch + age + checks).
    const cpuPerManifestUs = (cpu.user + cpu.system) / manifests;

    // 2. The named peer: one manifest at a time with plain fetch(), the same analysis, time-boxed.
    const urls = ids.flatMap((id) => (sweep.lastReport?.channels.find((c) => c.channelId === id)?.paths.primary?.renditions ?? []).map((r) => r.url));
    let naive = 0;
    const naiveStart = performance.now();
    while (performance.now() - naiveStart < NAIVE_BUDGET_MS && naive < urls.length) {
      const url = urls[naive] as string;
      const res = await fetch(url);
      analyzeManifest(await res.text(), { now: Date.now(), url });
      naive++;
    }
    const naiveRate = naive / ((performance.now() - naiveStart) / 1000);

    rows.push({
      name: `probe sweep, ${CHANNELS} channels x ${RENDITIONS} renditions`,
      value: Math.round(rate),
      unit: 'manifests/s',
      ratio: `${(rate / naiveRate).toFixed(1)}x naive sequential fetch()`,
      goal: '>= 5000/s',
      pass: rate >= 5000 && errors === 0,
    });
    rows.push({ name: 'naive sequential fetch() loop (peer)', value: Math.round(naiveRate), unit: 'manifests/s' });
    rows.push({ name: 'sweep duration (6,000 manifests)', value: Math.round(sweepMs / MEASURED_SWEEPS), unit: 'ms' });
    rows.push({
      name: 'probe CPU per manifest',
      value: Math.round(cpuPerManifestUs),
      unit: 'us',
      ratio: `= ${Math.round(1e6 / cpuPerManifestUs)} manifests/s per free core`,
    });
    if (errors > 0) notes.push(`${errors} fetch errors during the measured sweeps`);

    // The fetch demand of detection at the deadline: every rendition of every path once per target duration
    // (each new segment moves its deadline by one). Above the measured sweep rate, fetches queue and every
    // deadline slips by the backlog, whatever the schedule.
    const demand = (CHANNELS * RENDITIONS * 3) / SEGMENT_S;
    rows.push({
      name: 'deadline fetch demand (every rendition once per TD)',
      value: Math.round(demand),
      unit: 'manifests/s',
      ratio: `${(demand / rate).toFixed(2)}x the measured sweep rate`,
    });

    // 3. Detection with the production loop: every path of every channel, the Lambda's fetcher defaults, EMF out.
    rows.push(...(await detection(registry, base, child, next, notes)));
    notes.push(
      `origin in a separate process (fork), loopback HTTP/1.1 keep-alive; probe: ${IN_FLIGHT} requests in flight on ${IN_FLIGHT} keep-alive connections; segments ${SEGMENT_S} s with PDT; ` +
        `the peer fetched ${naive} manifests in ${NAIVE_BUDGET_MS / 1000} s; segments up to ${JITTER} x ${SEGMENT_S} s late; 1-minute load average at the end: ${loadavg()[0]?.toFixed(1)} on this machine`,
    );
  } finally {
    await fetcher.close();
    child.removeAllListeners('exit');
    child.send({ type: 'close' });
    await new Promise((r) => child.once('exit', r));
  }
  return { title: 'probe: fleet sweep and stall detection (loopback origin in another process)', rows, notes };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

/** Fetches per channel per second of `schedule` over FETCH_WINDOW_MS of a healthy fleet (after a warm-up). */
async function fetchRate(registry: ReturnType<typeof fleet>, schedule: 'deadline' | 'sweep', tickMs = TICK_MS): Promise<number> {
  const channels = registry.channels.length;
  const fetcher = createFetcher();
  let fetches = 0;
  let counting = false;
  const loop = createProbeLoop({ registry, fetcher, schedule, tickMs, publish: async () => {}, onTick: (r) => void (counting && (fetches += r.fetches)) });
  loop.start();
  await new Promise((r) => setTimeout(r, 2 * TICK_MS + 1000));
  counting = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, FETCH_WINDOW_MS));
  await loop.stop();
  const seconds = (performance.now() - started) / 1000;
  await fetcher.close();
  return fetches / channels / seconds;
}

/**
 * The edge path's physical bound. A frozen playlist is first seen stale at its deadline (newest media end +
 * staleAfter x target duration), as on an origin. Each of the `consecutive` confirmations must observe the
 * edge, not the copy it already holds: it waits until that copy expires (max-age minus Age), and the copy it
 * gets may be fresh from the origin (Age 0), so the next one waits a full max-age again. Hence
 * staleAfter x TD + consecutive x max-age, plus the same slack as the origins.
 */
function edgeBound(ttlMs: number): { ms: number; arithmetic: string } {
  const ms = STALE_AFTER * SEGMENT_S * 1000 + CONSECUTIVE * ttlMs + SLACK_MS;
  return { ms, arithmetic: `${STALE_AFTER} x ${SEGMENT_S} s + ${CONSECUTIVE} x max-age ${ttlMs / 1000} s + ${SLACK_MS / 1000} s` };
}

/** What probes the fleet during a detection run: the loop in this process, or one process per shard. */
interface Detector {
  /** Resolves once every channel is fresh on its 3 paths (false: the warm-up ran out first). */
  settled(): Promise<boolean>;
  startCounting(): void;
  /** Stops probing: what was fetched since startCounting() (every shard's, when sharded). */
  stop(): Promise<{ fetches: number; fetchErrors: number; longestTickMs: number; shards: ShardTotals[] }>;
}

type OnStale = (key: string, at: number) => void;

/** The production loop in this process over the whole fleet (one process, one event loop). */
function singleProcess(registry: ReturnType<typeof fleet>, onStale: OnStale): Detector {
  const bench = benchLoop({ registry, onStale });
  bench.loop.start();
  return {
    async settled() {
      const settledBy = Date.now() + WARM_UP_MAX_MS;
      while (!bench.allFresh() && Date.now() < settledBy) await new Promise((r) => setTimeout(r, 250));
      return bench.allFresh();
    },
    startCounting: () => bench.startCounting(),
    async stop() {
      await bench.close();
      const { fetches, fetchErrors, longestTickMs } = bench.counts;
      return { fetches, fetchErrors, longestTickMs, shards: [] };
    },
  };
}

/** The fleet's shards in production: channelsPerProbeShard channels each (the deploy default). */
const PRODUCTION_SHARDS = Math.ceil(CHANNELS / DEFAULT_CHANNELS_PER_PROBE_SHARD);

/**
 * Production's layout: the fleet in PRODUCTION_SHARDS shards, each in a Lambda with its own vCPU share. Here the
 * shards `indices` (one per core), each in a process of its own, against the origin serving the whole fleet.
 */
function sharded(base: string, indices: readonly number[], onStale: OnStale): Detector {
  const shards = indices.map((i) => {
    const child = fork(shardScript, [], { cwd: repoRoot, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let settled!: (fresh: boolean) => void;
    let done!: (t: ShardTotals) => void;
    const whenSettled = new Promise<boolean>((r) => (settled = r));
    const whenDone = new Promise<ShardTotals>((r) => (done = r));
    child.on('message', (m: FromShard) => {
      if (m.type === 'stale') onStale(m.key, m.at);
      else if (m.type === 'settled') settled(m.fresh);
      else if (m.type === 'done') done(m);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // A runner that dies before it reports must not hang the bench.
    void exited.then(() => {
      settled(false);
      done({ shard: `${i}/${PRODUCTION_SHARDS}`, channels: 0, fetches: 0, fetchErrors: 0, cpuUs: 0, seconds: 0, longestTickMs: 0, fetchLagP50Ms: Number.NaN, fetchLagP95Ms: Number.NaN, urgentFetches: 0, lanes: [], eventLoopDelayP99Ms: Number.NaN, eventLoopDelayMaxMs: Number.NaN });
    });
    const start: ToShard = { type: 'start', base, ids, shard: `${i}/${PRODUCTION_SHARDS}`, policy: { staleAfterTargetDurations: STALE_AFTER, consecutive: CONSECUTIVE }, warmUpMaxMs: WARM_UP_MAX_MS };
    child.send(start);
    return { child, whenSettled, whenDone, exited };
  });
  return {
    async settled() {
      return (await Promise.all(shards.map((s) => s.whenSettled))).every(Boolean);
    },
    startCounting() {
      for (const s of shards) s.child.send({ type: 'count' } satisfies ToShard);
    },
    async stop() {
      for (const s of shards) s.child.send({ type: 'stop' } satisfies ToShard);
      const totals = await Promise.all(shards.map((s) => s.whenDone));
      await Promise.all(shards.map((s) => s.exited));
      return {
        fetches: totals.reduce((n, t) => n + t.fetches, 0),
        fetchErrors: totals.reduce((n, t) => n + t.fetchErrors, 0),
        longestTickMs: Math.max(...totals.map((t) => t.longestTickMs)),
        shards: totals,
      };
    },
  };
}

interface DetectionRun {
  stalled: Map<string, number>;
  detected: Map<string, number>;
  falsePositives: string[];
  fetches: number;
  /** Channels probed x seconds counted: fetches / channelSeconds is the fetch rate per channel. */
  channelSeconds: number;
  fetchErrors: number;
  longestTickMs: number;
  shards: ShardTotals[];
}

/**
 * Freezes STALLS renditions (edge, primary, standby in turn, of the `probed` channels from index `first` on) one
 * after the other while `detector` probes them, and collects what was published. The freezes are cleared at the end.
 */
async function freezeAndWatch(
  makeDetector: (onStale: OnStale) => Detector,
  probed: readonly string[],
  child: ChildProcess,
  next: () => Promise<FromOrigin>,
  first: number,
  notes: string[],
  stalls: { count: number; from: number } = { count: STALLS, from: 0 },
): Promise<DetectionRun> {
  const stalled = new Map<string, number>(); // "<channel>/<path>" -> newest media end
  const frozen = new Map<string, string>(); // "<channel>/<path>" -> the rendition frozen
  const detected = new Map<string, number>();
  const falsePositives: string[] = [];
  const detector = makeDetector((key, at) => {
    if (!stalled.has(key)) falsePositives.push(key);
    else if (!detected.has(key)) detected.set(key, at);
  });
  // Multivariant playlists, connections, every rendition settled into fresh (three fetches each): a fleet's cold
  // start, not what is measured.
  if (!(await detector.settled())) notes.push(`the fleet had not settled into fresh after ${WARM_UP_MAX_MS / 1000} s of warm-up`);
  await new Promise((r) => setTimeout(r, TICK_MS)); // one more target duration in the steady state
  detector.startCounting();
  const started = performance.now();
  const paths = ['primary', 'edge', 'standby'] as const;
  const renditions = ['1080p', '720p', '540p', '360p', '234p', 'audio'];
  // A prime stride that does not divide the count puts each freeze on a channel of its own.
  const stride = probed.length % 37 === 0 ? 41 : 37;
  for (let i = 0; i < stalls.count; i++) {
    const channel = probed[(first + i * stride) % probed.length] as string;
    // Numbered across the runs of one detection, so that paths and renditions keep their turns.
    const n = stalls.from + i;
    const path = paths[n % paths.length] as string;
    const rendition = renditions[n % renditions.length] as string;
    frozen.set(`${channel}/${path}`, rendition);
    child.send({ type: 'stall', stream: `${channel}/${path}`, rendition });
    const m = await next();
    if (m.type === 'stalled') stalled.set(`${channel}/${path}`, m.newestMediaEnd);
    await new Promise((r) => setTimeout(r, STALL_EVERY_MS));
  }
  const deadline = Date.now() + 4 * DETECTION_GOAL_MS;
  while (detected.size < stalled.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const totals = await detector.stop();
  const seconds = (performance.now() - started) / 1000;
  // A frozen rendition is a fault of its own (stream + rendition): the next run starts on a healthy fleet.
  for (const [stream, rendition] of frozen) child.send({ type: 'clear', stream, rendition });
  return { stalled, detected, falsePositives, fetches: totals.fetches, channelSeconds: probed.length * seconds, fetchErrors: totals.fetchErrors, longestTickMs: totals.longestTickMs, shards: totals.shards };
}

/** Runs one after the other, as one: every freeze, every shard, the fetches over every channel's seconds. */
function merged(runs: readonly DetectionRun[]): DetectionRun {
  return {
    stalled: new Map(runs.flatMap((r) => [...r.stalled])),
    detected: new Map(runs.flatMap((r) => [...r.detected])),
    falsePositives: runs.flatMap((r) => r.falsePositives),
    fetches: runs.reduce((n, r) => n + r.fetches, 0),
    channelSeconds: runs.reduce((n, r) => n + r.channelSeconds, 0),
    fetchErrors: runs.reduce((n, r) => n + r.fetchErrors, 0),
    longestTickMs: Math.max(...runs.map((r) => r.longestTickMs)),
    shards: runs.flatMap((r) => r.shards),
  };
}

/** The detection rows of a run; `judged`: with their goals (production's layout), else for scale only. */
function detectionRows(label: string, run: DetectionRun, edge: { ms: number; arithmetic: string }, sweepRate: { atDefault: number; atCloseTick: number }, judged: boolean): BenchRow[] {
  const { stalled, detected, falsePositives } = run;
  const latencies = [...detected].map(([key, at]) => at - (stalled.get(key) as number));
  const byPath = (path: string) => [...detected].filter(([k]) => k.endsWith(`/${path}`)).map(([key, at]) => at - (stalled.get(key) as number));
  const origins = [...byPath('primary'), ...byPath('standby')];
  const edges = byPath('edge');
  const allCaught = detected.size === stalled.size && falsePositives.length === 0;
  const rate = run.fetches / run.channelSeconds;
  const rows: BenchRow[] = [
    {
      name: `${label}: freeze -> Manifest Stale, p50 (${detected.size}/${stalled.size} caught)`,
      value: Math.round(percentile(latencies, 50)),
      unit: 'ms',
      ratio: `${(percentile(latencies, 50) / 1000 / SEGMENT_S).toFixed(2)} target durations`,
    },
    {
      name: `${label}: every freeze caught, no false positive`,
      value: detected.size,
      unit: `of ${stalled.size}`,
      ratio: `${falsePositives.length} false positives`,
      goal: `${stalled.size}, 0 false positives`,
      pass: allCaught,
    },
    {
      name: `${label}: freeze -> Manifest Stale, p95, origin paths (${origins.length})`,
      value: Math.round(percentile(origins, 95)),
      unit: 'ms',
      goal: `<= ${DETECTION_GOAL_MS} ms (${STALE_AFTER} x ${SEGMENT_S} s + ${SLACK_MS / 1000} s)`,
      pass: percentile(origins, 95) <= DETECTION_GOAL_MS,
    },
    {
      name: `${label}: freeze -> Manifest Stale, p95, edge path (${edges.length})`,
      value: Math.round(percentile(edges, 95)),
      unit: 'ms',
      goal: `<= ${edge.ms} ms (${edge.arithmetic})`,
      pass: percentile(edges, 95) <= edge.ms,
    },
    {
      name: `${label}: fetches per channel (3 paths), deadline schedule`,
      value: Number(rate.toFixed(2)),
      unit: '/s',
      ratio: `${(rate / sweepRate.atCloseTick).toFixed(2)}x the ${CLOSE_SWEEP_TICK_MS / 1000} s sweep (${sweepRate.atCloseTick.toFixed(2)}/s), ${(rate / sweepRate.atDefault).toFixed(2)}x the ${TICK_MS / 1000} s sweep (${sweepRate.atDefault.toFixed(2)}/s, a target duration slower to detect)`,
      goal: `< the ${CLOSE_SWEEP_TICK_MS / 1000} s sweep`,
      pass: rate < sweepRate.atCloseTick,
    },
  ];
  return judged ? rows : rows.map(({ goal: _goal, pass: _pass, ...row }) => row);
}

/** The limiter's lanes, in URGENCY's order. */
const LANES = ['normal', 'deadline', 'confirm'] as const;

/** Per shard process: its own CPU per manifest, and how much of a core it used. */
function shardRows(shards: readonly ShardTotals[]): BenchRow[] {
  return shards.map((s) => ({
    name: `shard ${s.shard} (${s.channels} channels): CPU per manifest`,
    value: s.fetches > 0 ? Math.round(s.cpuUs / s.fetches) : Number.NaN,
    unit: 'us',
    ratio: `${Math.round(s.fetches / s.seconds)} manifests/s, ${((s.cpuUs / 1e6 / s.seconds) * 100).toFixed(0)} % of a core, longest tick ${Math.round(s.longestTickMs)} ms, fetches left ${s.fetchLagP50Ms} ms (p50) / ${s.fetchLagP95Ms} ms (p95) after due, ${s.fetches > 0 ? Math.round((s.urgentFetches / s.fetches) * 100) : 0} % at a deadline or confirming${s.fetchErrors > 0 ? `, ${s.fetchErrors} fetch errors` : ''}; ` +
      `per lane (${LANES.join(' / ')}): wait for a slot p95 ${s.lanes.map((l) => l.waitP95Ms).join(' / ')} ms, round trip p50 ${s.lanes.map((l) => l.tripP50Ms).join(' / ')} ms, p95 ${s.lanes.map((l) => l.tripP95Ms).join(' / ')} ms, requests in flight when asked p50 ${s.lanes.map((l) => l.aheadP50).join(' / ')}, p95 ${s.lanes.map((l) => l.aheadP95).join(' / ')}; ` +
      `event loop late by ${s.eventLoopDelayP99Ms} ms (p99) / ${s.eventLoopDelayMaxMs} ms (max)`,
  }));
}

async function detection(registry: ReturnType<typeof fleet>, base: string, child: ChildProcess, next: () => Promise<FromOrigin>, notes: string[]): Promise<BenchRow[]> {

  const edgeManifest = (registry.channels[0] as (typeof registry.channels)[number]).edge.manifestUrl;
  const edge = edgeBound(
    await (async () => {
      const f = createFetcher();
      try {
        return cacheTtlMs((await f.get(edgeManifest)).headers) ?? 0;
      } finally {
        await f.close();
      }
    })(),
  );
  const cores = Math.min(availableParallelism(), PRODUCTION_SHARDS);
  // Every shard of the fleet, one per core at a time (shard i of n owns the ids that hash to i).
  const rounds = Array.from({ length: Math.ceil(PRODUCTION_SHARDS / cores) }, (_, r) =>
    Array.from({ length: Math.min(cores, PRODUCTION_SHARDS - r * cores) }, (_, i) => r * cores + i),
  );
  const channelsOf = (shards: readonly number[]) => ids.filter((id) => shards.includes(shardOf(id, PRODUCTION_SHARDS)));
  const measured = channelsOf(rounds[0] as number[]);
  // The sweep at the Lambda's tick over the same channels, in one process (it keeps up at this size): the fetch
  // rate the deadline schedule is compared with. Over the whole fleet a sweep falls behind its tick on this
  // machine, and its rate would be what the machine serves, not what the schedule asks for.
  const measuredFleet = fleet(base, measured, { staleAfterTargetDurations: STALE_AFTER, consecutive: CONSECUTIVE });
  const sweepRate = { atDefault: await fetchRate(measuredFleet, 'sweep'), atCloseTick: await fetchRate(measuredFleet, 'sweep', CLOSE_SWEEP_TICK_MS) };
  const runs: DetectionRun[] = [];
  for (const [r, shards] of rounds.entries()) {
    const stalls = { from: Math.floor((r * STALLS) / rounds.length), count: Math.floor(((r + 1) * STALLS) / rounds.length) - Math.floor((r * STALLS) / rounds.length) };
    runs.push(await freezeAndWatch((onStale) => sharded(base, shards, onStale), channelsOf(shards), child, next, 11, notes, stalls));
  }
  const shardedRun = merged(runs);
  const single = await freezeAndWatch((onStale) => singleProcess(registry, onStale), ids, child, next, 29, notes);
  notes.push(
    `detection: ${STALLS} freezes of one rendition each (edge, primary, standby in turn), one every ${STALL_EVERY_MS} ms, in a fleet of ${CHANNELS} channels x ${RENDITIONS} renditions x 3 paths; ` +
      `the loop at the Lambda's defaults (deadline schedule, fetches in flight on their own up to concurrency ${DEFAULT_FETCHER_OPTIONS.concurrency}, EMF emitted every tick)`,
    `"production shards": production's layout, the fleet in ${PRODUCTION_SHARDS} shards of about ${DEFAULT_CHANNELS_PER_PROBE_SHARD} channels (channelsPerProbeShard), each in a Lambda with its own vCPU share; here every one of them, ${cores} at a time (one per core, os.availableParallelism()), ${rounds.length} rounds of ${STALLS / rounds.length} freezes, so that the ${STALLS} freezes fall on all ${CHANNELS} channels; each shard in a process of its own (bench/probe-shard.ts builds the loop as the handler does for {shard: "i/n"}), against the origin process serving the whole fleet on the same cores. ` +
      `The goals are judged there: every shard of a deployed fleet runs the same loop on its own vCPU`,
    `"whole fleet, one process": all ${CHANNELS} channels in this process (longest tick ${Math.round(single.longestTickMs)} ms), for scale and without goals: production never runs it, and it needs ${((CHANNELS * RENDITIONS * 3) / SEGMENT_S).toLocaleString('en-US')} manifests/s or more, at the CPU per manifest above more than the ${availableParallelism()} cores this machine shares with its origin`,
    `where a detection's time goes: each path's learning fetch (its scout, the first fresh rendition, at newest media end + ${SEGMENT_S} s + the path's own offset, 0.1-0.4 TD; its siblings after it once it saw the new segment, each at an offset of its own within 0.1 TD and the first half of the time left before its deadline) ` +
      `leaves a frozen rendition with nothing new; its deadline fetch leaves at newest media end + ${STALE_AFTER} x ${SEGMENT_S} s (+ 20 ms) and waits for one of the fetcher's slots (the shards' "fetches left ... after due") ` +
      `in the confirmations' lane (it is late on its own: its scout saw the new segment), ahead of the scouts' looks at their deadline and of the learning fetches; then ${CONSECUTIVE} confirming fetches (origins: at once; edge: after the cache TTL). ` +
      `Every request in flight is ahead of an urgent one in the origin's queue and in the shard's event loop, so learning fetches hold at most half the slots; the shards' rows give per lane the wait for a slot, the round trip and the requests in flight when asked. ` +
      `The origin's segments start on the same epoch boundaries for every stream, each as late on every stream (lateness(n), up to ${JITTER} TD): ` +
      `a scout that came before its late segment looks again every 0.1 TD until its deadline, so the fleet learns a late segment within 0.1 TD of its appearance, spread, rather than every path's scout and then its ladder at the deadline, where the frozen renditions' fetches go out; ` +
      `a path costs one fetch per rendition per TD plus the scout's looks at a late segment`,
    `edge bound: ${edge.arithmetic} = ${edge.ms / 1000} s (the first stale look at the deadline, then each of consecutive = ${CONSECUTIVE} confirmations one cache lifetime after the previous look, so it observes the edge and not the same cached copy)`,
  );
  const shardedLabel = `production shards, all ${PRODUCTION_SHARDS}, ${cores} at a time`;
  const singleLabel = 'whole fleet, one process';
  for (const [label, run] of [[singleLabel, single], [shardedLabel, shardedRun]] as const)
    if (run.falsePositives.length > 0) notes.push(`${label}: false positives: ${run.falsePositives.join(', ')}`);
  return [...detectionRows(shardedLabel, shardedRun, edge, sweepRate, true), ...shardRows(shardedRun.shards), ...detectionRows(singleLabel, single, edge, sweepRate, false)];
}

// Probe sweep benchmark: 1,000 channels x 6 renditions served by a live HLS origin in ANOTHER process
// (sandbox/testkit/origin-process.ts, playlists generated on the fly with PDT). Measured side by side in one run:
//  - manifests per second of a probe sweep (goal >= 5,000/s on a 2-core machine), against the named peer:
//    a naive sequential loop (plain fetch(), one manifest at a time, the same age analysis), which is how
//    existing monitors poll;
//  - for one stalled channel in the full fleet, the time from the end of its newest media to its
//    `Manifest Stale` transition (goal <= staleAfter + consecutive x tick).
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { analyzeManifest } from '../functions/domain/manifest/index.js';
import { createFetcher, createProbeLoop, type Transition } from '../functions/domain/probe/index.js';
import { fleet } from '../sandbox/testkit/fleet.js';
import type { BenchRow, BenchSection } from './types.js';

const CHANNELS = 1000;
const RENDITIONS = 6;
const SEGMENT_S = 2;
const TICK_MS = 2000;
const MEASURED_SWEEPS = 5;
// On loopback a round trip takes ~0.1 ms, so a few dozen requests in flight keep both processes busy; more only
// adds context switches. Against a real origin size it by Little's law (rate x RTT: 5,000/s x 50 ms = 250,
// the Lambda's PROBE_CONCURRENCY default is 256).
const IN_FLIGHT = 32;
const NAIVE_BUDGET_MS = 3000;
const STALE_AFTER = 1.5;
const CONSECUTIVE = 2;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const originScript = fileURLToPath(new URL('../sandbox/testkit/origin-process.ts', import.meta.url));

type FromOrigin = { type: 'ready'; base: string } | { type: 'stalled'; stream: string; newestMediaEnd: number };

function startOrigin(): Promise<{ child: ChildProcess; base: string; next: () => Promise<FromOrigin> }> {
  const child = fork(originScript, [], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ORIGIN_SEGMENT_S: String(SEGMENT_S) },
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
    const sweep = createProbeLoop({ registry, paths: ['primary'], fetcher, publish: async () => {} });
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

    // 3. Detection latency of one stalled channel inside the full fleet, ticking every TICK_MS.
    const victim = ids[CHANNELS >> 1] as string;
    let detectedAt: number | undefined;
    let onDetected: (() => void) | undefined;
    const loop = createProbeLoop({
      registry,
      paths: ['primary'],
      fetcher,
      tickMs: TICK_MS,
      publish: async (ts: Transition[]) => {
        if (detectedAt === undefined && ts.some((t) => t.detail.channelId === victim && t.detail.state === 'stale')) {
          detectedAt = Date.now();
          onDetected?.();
        }
      },
    });
    loop.start();
    await new Promise((r) => setTimeout(r, 2 * TICK_MS));
    child.send({ type: 'stall', stream: `${victim}/primary` });
    const stalled = await next();
    if (stalled.type !== 'stalled') throw new Error('origin did not confirm the stall');
    const budgetMs = (STALE_AFTER * SEGMENT_S * 1000 + CONSECUTIVE * TICK_MS) * 3;
    await new Promise<void>((resolve) => {
      onDetected = resolve;
      setTimeout(resolve, budgetMs);
    });
    await loop.stop();
    const goalMs = STALE_AFTER * SEGMENT_S * 1000 + CONSECUTIVE * TICK_MS;
    const latency = detectedAt === undefined ? Number.NaN : detectedAt - stalled.newestMediaEnd;
    rows.push({
      name: `stall -> Manifest Stale, 1 of ${CHANNELS} channels`,
      value: Math.round(latency),
      unit: 'ms',
      ratio: `${(latency / 1000 / SEGMENT_S).toFixed(2)} target durations`,
      goal: `<= ${goalMs} ms (1.5 x ${SEGMENT_S} s + ${CONSECUTIVE} x ${TICK_MS} ms tick)`,
      pass: detectedAt !== undefined && latency <= goalMs,
    });
    notes.push(
      `origin in a separate process (fork), loopback HTTP/1.1 keep-alive; probe: ${IN_FLIGHT} requests in flight on ${IN_FLIGHT} keep-alive connections; segments ${SEGMENT_S} s with PDT; ` +
        `the peer fetched ${naive} manifests in ${NAIVE_BUDGET_MS / 1000} s; 1-minute load average at the end: ${loadavg()[0]?.toFixed(1)} on this machine`,
    );
  } finally {
    await fetcher.close();
    child.removeAllListeners('exit');
    child.send({ type: 'close' });
    await new Promise((r) => child.once('exit', r));
  }
  return { title: 'probe: fleet sweep and stall detection (loopback origin in another process)', rows, notes };
}

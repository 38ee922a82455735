// What flatline costs per channel-month at 1,000 channels (deploy/cost.ts is the model, docs/cost.md the
// arithmetic). Counted from what the stack and one probe minute produce: the alarms of the generated stack
// (deploy/core.ts and alarms.ts on a generated 1,000-channel registry, plus serverless.yml's state machine alarms),
// the probe's memory, timeout and shard size from serverless.yml, and the EMF documents the probe's own code
// (functions/probe/metrics.ts) writes during one minute of a healthy shard.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { deployContext } from '../deploy/context.js';
import { countAlarms, fleetCost, formatDollars, PRICES_RECORDED, type CostBreakdown, type CostInput, type ProbeMinute } from '../deploy/cost.js';
import { probeShardCount } from '../deploy/probe.js';
import { dashboard, fleetAlarms, manifestAgeAlarms, probeHeartbeatAlarms } from '../deploy/alarms.js';
import { coreResources } from '../deploy/core.js';
import { parseYamlWithCfnTags } from '../deploy/serverless-config.js';
import type { TickReport } from '../functions/domain/probe/index.js';
import { emitTickMetrics, flushShardMetrics, SHARD_WINDOW_MS } from '../functions/probe/metrics.js';
import { deployableFleetDocument } from '../sandbox/testkit/fleet.js';
import type { BenchSection } from './types.js';

export const FLEET_CHANNELS = 1000;
/** Critical channels in the modelled fleet (1 %): each has its own series and two high-resolution alarms. */
export const FLEET_CRITICAL = 10;
export const GOAL_PER_CHANNEL_MONTH = 0.5;
const SHARD = '0/10';
/** Lambda's START / END / REPORT lines and the probe's "probe invocation done" line, per invocation. */
const LOG_BYTES_PER_INVOCATION = 800;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

interface ServerlessYml {
  custom: { flatline: { channelsPerProbeShard: number } };
  functions: { probe: { memorySize: number; timeout: number } };
  stepFunctions: { stateMachines: Record<string, { alarms?: { metrics?: unknown[] } }> };
}
const serverlessYml = (): ServerlessYml => parseYamlWithCfnTags(readFileSync(join(repoRoot, 'serverless.yml'), 'utf8')) as ServerlessYml;

/** A healthy tick of `ids`: every path fresh, 6 renditions, ages of a few seconds. */
function healthyTick(ids: readonly string[], tick: number): TickReport {
  const at = Date.now();
  type PathReport = NonNullable<TickReport['channels'][number]['paths']['edge']>;
  // What emitTickMetrics reads of a path report (the rest of it is the probe's evidence, not metrics).
  const path = (name: 'edge' | 'primary' | 'standby', i: number): PathReport => ({
    path: name,
    url: `https://example.com/${ids[i]}/${name}/index.m3u8`,
    at,
    verdict: 'fresh' as const,
    observed: true,
    state: 'fresh' as const,
    run: { stale: 0, fresh: 10 },
    ageMs: 2000 + ((i * 37 + tick * 11) % 4000),
    thresholdMs: 9000,
    targetDuration: 6,
    format: null,
    renditions: [],
    problems: [],
    fetches: 7,
    fetchErrors: 0,
    fetchLagMs: (i * 13 + tick * 7) % 40,
  }) as unknown as PathReport;
  return {
    tick,
    at,
    durationMs: 180 + (tick % 7),
    channels: ids.map((channelId, i) => ({
      channelId,
      paths: { edge: path('edge', i), primary: path('primary', i), standby: path('standby', i) },
      diagnosis: { code: 'healthy', summary: 'all paths fresh' } as unknown as TickReport['channels'][number]['diagnosis'],
    })),
    transitions: [],
    published: true,
    fetches: ids.length * 21,
    fetchErrors: 0,
  };
}

/** Runs the probe's EMF code for `ticks` ticks and returns what it wrote to stdout (where Lambda takes EMF from). */
function captureEmf(run: () => void): string[] {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(...(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')).split('\n').filter((l) => l.startsWith('{"_aws"')));
    return true;
  });
  try {
    run();
  } finally {
    process.stdout.write = original;
    if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = previous;
  }
  return lines;
}

/** Distinct series (metric name + dimension values) in EMF documents. */
function series(lines: string[]): Set<string> {
  const out = new Set<string>();
  for (const line of lines) {
    const doc = JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };
    for (const d of doc._aws.CloudWatchMetrics)
      for (const dims of d.Dimensions) for (const m of d.Metrics) out.add(`${m.Name}|${dims.map((k) => `${k}=${String(doc[k])}`).join(',')}`);
  }
  return out;
}

let measurements = 0;

/**
 * One minute of one healthy shard, measured: the probe's shard metrics are written once per SHARD_WINDOW_MS
 * window (whatever the number of ticks in it), so the minute is 60 s / window windows of two ticks each,
 * each closed as the window's end closes it. And what one critical channel adds.
 */
export function measureProbeMinute(channelsPerShard: number): ProbeMinute {
  const ids = Array.from({ length: channelsPerShard }, (_, i) => `ch-${i}`);
  const windows = 60_000 / SHARD_WINDOW_MS;
  const lines = captureEmf(() => {
    for (let w = 0; w < windows; w++) {
      emitTickMetrics(healthyTick(ids, 2 * w), SHARD);
      emitTickMetrics(healthyTick(ids, 2 * w + 1), SHARD);
      flushShardMetrics(SHARD);
    }
  });
  // A channel id of its own: the probe remembers which channels reported last tick.
  const critical = `critical-${++measurements}`;
  const withCritical = captureEmf(() => {
    emitTickMetrics(healthyTick([...ids, critical], 0), SHARD, new Set([critical]));
    flushShardMetrics(SHARD);
  });
  return {
    channelsPerShard,
    emfBytes: lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0),
    emfDocuments: lines.length,
    metricsPerShard: series(lines).size,
    metricsPerCriticalChannel: series(withCritical).size - series(lines).size,
  };
}

/** The cost model's input for the 1,000-channel fleet (a generated registry; FLEET_CRITICAL of them critical). */
export function fleetCostInput(): CostInput {
  const sls = serverlessYml();
  const doc = deployableFleetDocument(FLEET_CHANNELS, { critical: FLEET_CRITICAL });
  const dir = mkdtempSync(join(tmpdir(), 'flatline-cost-'));
  try {
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'registry.fleet.yml'), stringify(doc));
    const ctx = deployContext({ stage: 'fleet', serviceDir: dir, channelsPerProbeShard: sls.custom.flatline.channelsPerProbeShard });
    // What bills monthly (the edge router is priced per viewer request, apart).
    const resources = { ...coreResources(ctx), ...manifestAgeAlarms(ctx), ...probeHeartbeatAlarms(ctx), ...fleetAlarms(ctx), ...dashboard(ctx) };
    const stateMachineAlarms = Object.values(sls.stepFunctions.stateMachines).reduce((n, sm) => n + (sm.alarms?.metrics?.length ?? 0), 0);
    const shards = probeShardCount(ctx);
    const asl = ['failover', 'failback'].map((k) => JSON.parse(readFileSync(join(repoRoot, 'statemachines', `${k}.asl.json`), 'utf8')) as unknown);
    return {
      channels: FLEET_CHANNELS,
      criticalChannels: FLEET_CRITICAL,
      shards,
      probeMemoryMb: sls.functions.probe.memorySize,
      probeSecondsPerMinute: sls.functions.probe.timeout,
      // Healthy, the fleet alarms analyze the critical channels' series only (the others publish none).
      alarms: countAlarms(resources, stateMachineAlarms, FLEET_CRITICAL),
      dashboards: Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard').length,
      kmsKeys: Object.values(resources).filter((r) => r.Type === 'AWS::KMS::Key').length,
      probeMinute: measureProbeMinute(sls.custom.flatline.channelsPerProbeShard),
      logBytesPerInvocation: LOG_BYTES_PER_INVOCATION,
      failoversPerChannelMonth: 1,
      // Every state of both machines, twice (waits and retries): a generous bound for one failover + failback.
      transitionsPerFailover: 2 * asl.reduce((n: number, a) => n + countStates(a), 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function countStates(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((n: number, x) => n + countStates(x), 0);
  if (!node || typeof node !== 'object') return 0;
  const o = node as Record<string, unknown>;
  const own = o.States && typeof o.States === 'object' ? Object.keys(o.States).length : 0;
  return own + Object.values(o).reduce((n: number, x) => n + countStates(x), 0);
}

export function fleetCostFigure(): { input: CostInput; cost: CostBreakdown } {
  const input = fleetCostInput();
  return { input, cost: fleetCost(input) };
}

export async function run(): Promise<BenchSection> {
  const { input, cost } = fleetCostFigure();
  const m = input.probeMinute;
  return {
    title: `cost at ${FLEET_CHANNELS} channels (${FLEET_CRITICAL} critical), per channel-month, list prices recorded ${PRICES_RECORDED}`,
    rows: [
      {
        name: 'all-in per channel-month (excluding viewer requests)',
        value: Number(cost.perChannelMonth.toFixed(3)),
        unit: '$',
        ratio: `${(cost.canaryPerChannelMonth / cost.perChannelMonth).toFixed(0)}x cheaper than a Synthetics canary a minute (${formatDollars(cost.canaryPerChannelMonth)})`,
        goal: `<= $${GOAL_PER_CHANNEL_MONTH}`,
        pass: cost.perChannelMonth <= GOAL_PER_CHANNEL_MONTH,
      },
      ...cost.lines.map((l) => ({ name: l.item, value: Number(l.monthly.toFixed(2)), unit: '$/month' })),
      { name: 'probe minute, one shard: EMF documents', value: m.emfDocuments, unit: 'documents' },
      { name: 'probe minute, one shard: EMF bytes', value: m.emfBytes, unit: 'bytes' },
      { name: 'CloudFront Functions per million viewer requests', value: cost.perMillionViewerRequests.cloudFrontFunction, unit: '$' },
      { name: 'KeyValueStore reads per million viewer requests', value: cost.perMillionViewerRequests.keyValueStoreRead, unit: '$' },
    ],
    notes: cost.lines.map((l) => `${l.item}: ${l.basis}`),
  };
}

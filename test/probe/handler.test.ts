// The probe Lambda end to end: the real handler (middy + Powertools) with a fake Lambda context whose remaining
// time allows three ticks, a registry file, a loopback live origin, and the AWS sandbox's EventBridge, whose call
// log holds the real PutEvents wire request the SDK sends. EMF metrics are read from stdout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import type * as ProbeHandler from '../../functions/probe/handler.js';
import { startAwsSandbox, type AwsSandbox, type CallRecord } from '../../sandbox/aws/index.js';
import { fleetDocument } from '../../sandbox/testkit/fleet.js';
import { LiveOrigin } from '../../sandbox/testkit/live-origin.js';

interface Captured {
  record: CallRecord;
  body: { Entries: Array<{ Source: string; DetailType: string; Detail: string; EventBusName: string }> };
}

// 4 s segments (threshold 6 s): a fresh path stays fresh even when a loaded machine delays a response.
const origin = new LiveOrigin({ segmentS: 4 });
let sandbox: AwsSandbox;
let dir: string;
/** The PutEvents calls the sandbox answered since the test began. */
const putEvents = (): Captured[] =>
  sandbox.calls.filter((c) => c.operation === 'PutEvents').map((record) => ({ record, body: JSON.parse(record.request.body) as Captured['body'] }));

const saved = { ...process.env };
let handlerModule: typeof ProbeHandler;
let stdout: string[] = [];

function contextAllowing(ticks: number): Context {
  // middy reads the remaining time once, before the handler, to arm its early-timeout; then the handler reads
  // it once after each tick: plenty, plenty, ..., then nothing left.
  const remaining = [60_000, ...Array.from({ length: ticks - 1 }, () => 60_000), 0];
  return {
    functionName: 'flatline-probe',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-west-2:123456789012:function:flatline-probe',
    memoryLimitInMB: '512',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/flatline-probe',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => remaining.shift() ?? 0,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

interface Emf {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string; StorageResolution?: number }> }> };
  Channel?: string;
  Path?: string;
  ManifestAge?: number;
  FetchErrors?: number;
  Stale?: number;
}

const emfLines = (): Emf[] =>
  stdout
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as Emf);

beforeAll(async () => {
  await origin.start();
  dir = mkdtempSync(join(tmpdir(), 'flatline-probe-'));
  const registryFile = join(dir, 'registry.yml');
  writeFileSync(registryFile, stringify(fleetDocument(origin.base, ['news-1'])));
  sandbox = await startAwsSandbox({ registryPath: registryFile, serverlessPath: false, eventBusName: 'flatline-test' });
  sandbox.applyEnv(); // FLATLINE_REGISTRY, EVENT_BUS_NAME, the endpoints and dummy credentials
  Object.assign(process.env, {
    PROBE_TICK_MS: '50',
    // Tick-counted expectations below: every rendition every tick (the deadline schedule is in deadline.test.ts).
    PROBE_SCHEDULE: 'sweep',
    PROBE_MARGIN_MS: '1000',
    PROBE_TIMEOUT_MS: '1000',
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
  handlerModule = await import('../../functions/probe/handler.js');
});

afterAll(async () => {
  await handlerModule.closeProbeLoops();
  await sandbox.stop();
  process.env = saved;
  await origin.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  stdout = [];
  sandbox.clearCalls();
  // Captured, not echoed: the EMF documents are what the test reads.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  return () => vi.restoreAllMocks();
});

describe('probe Lambda', () => {
  it('ticks until the remaining time runs low, puts one Manifest Stale per path on the bus, emits EMF per channel and path', async () => {
    // An origin outage that began 12 s ago: the primary and the edge in front of it are frozen.
    origin.set('news-1/primary', { stallAt: Date.now() - 12_000 });
    origin.set('news-1/edge', { stallAt: Date.now() - 12_000 });

    const result = await handlerModule.handler(undefined, contextAllowing(3));
    expect(result).toMatchObject({ shard: '0/1', channels: 1, ticks: 3, transitions: 2, fetchErrors: 0 });

    // consecutive = 2: the transition comes on the 2nd tick, in one PutEvents call, and never again.
    const captured = putEvents();
    expect(captured).toHaveLength(1);
    const call = captured[0] as Captured;
    expect(call.record).toMatchObject({ service: 'events', region: 'us-west-2', status: 200 });
    expect(call.record.request.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(call.record.request.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(call.record.request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=sandbox\/\d{8}\/us-west-2\/events\/aws4_request/);
    expect(sandbox.events.log.map((e) => e['detail-type'])).toEqual(['Manifest Stale', 'Manifest Stale']);
    expect(call.body.Entries.map((e) => [e.Source, e.DetailType, e.EventBusName])).toEqual([
      ['flatline.probe', 'Manifest Stale', 'flatline-test'],
      ['flatline.probe', 'Manifest Stale', 'flatline-test'],
    ]);
    const details = call.body.Entries.map((e) => JSON.parse(e.Detail) as Record<string, unknown>);
    expect(details.map((d) => d.path)).toEqual(['edge', 'primary']);
    const primary = details[1] as { ageMs: number; thresholdMs: number; diagnosis: string; paths: Record<string, { state: string }>; renditions: unknown[] };
    expect(primary).toMatchObject({ channelId: 'news-1', state: 'stale', thresholdMs: 6000, consecutive: 2 });
    expect(primary.ageMs).toBeGreaterThanOrEqual(12_000);
    expect(primary.paths).toMatchObject({ edge: { state: 'stale' }, primary: { state: 'stale' }, standby: { state: 'fresh' } });
    expect(primary.diagnosis).toMatch(/origin outage, standby origin fresh/);
    expect(primary.renditions).toHaveLength(6);

    const emf = emfLines().filter((m) => m.Channel === 'news-1');
    expect(emf).toHaveLength(3 * 3);
    for (const m of emf) {
      const [directive] = m._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe('Flatline');
      expect(directive?.Dimensions).toEqual([['Channel', 'Path']]);
      expect(directive?.Metrics.find((x) => x.Name === 'ManifestAge')).toEqual({ Name: 'ManifestAge', Unit: 'Milliseconds', StorageResolution: 1 });
      expect(m).not.toHaveProperty('service');
    }
    const byPath = (path: string) => emf.filter((m) => m.Path === path);
    expect(byPath('primary').every((m) => (m.ManifestAge ?? 0) >= 12_000)).toBe(true);
    expect(byPath('standby').every((m) => (m.ManifestAge ?? Infinity) < 6000 && m.Stale === 0)).toBe(true);
    expect(byPath('edge').map((m) => m.Stale)).toEqual([0, 1, 1]);
    // The shard's own metrics, aggregated over the (sub-second) invocation: its heartbeat is the 3 ticks.
    const shardDocs = emfLines().filter((m) => 'Heartbeat' in m) as Array<Emf & { Shard?: string; Heartbeat?: number; Transitions?: number; ProbeErrors?: number; FetchLag?: number }>;
    expect(shardDocs.map((m) => m._aws.CloudWatchMetrics[0]?.Dimensions)).toEqual(shardDocs.map(() => [['Shard']]));
    expect(shardDocs.every((m) => m.Shard === '0/1' && typeof m.FetchLag === 'number')).toBe(true);
    expect(shardDocs.reduce((n, m) => n + (m.Heartbeat ?? 0), 0)).toBe(3);
    expect(shardDocs.reduce((n, m) => n + (m.Transitions ?? 0), 0)).toBe(2);
    expect(shardDocs.reduce((n, m) => n + (m.ProbeErrors ?? 0), 0)).toBe(0);
  });

  it('keeps its state across warm invocations: no repeat while stale, one Manifest Fresh per path on recovery', async () => {
    const still = await handlerModule.handler(undefined, contextAllowing(2));
    expect(still.transitions).toBe(0);
    expect(putEvents()).toHaveLength(0);

    origin.clear('news-1/primary');
    origin.clear('news-1/edge');
    const recovered = await handlerModule.handler(undefined, contextAllowing(3));
    expect(recovered.transitions).toBe(2);
    expect(putEvents().flatMap((c) => c.body.Entries.map((e) => `${e.DetailType} ${(JSON.parse(e.Detail) as { path: string }).path}`))).toEqual([
      'Manifest Fresh edge',
      'Manifest Fresh primary',
    ]);
  });

  it('counts a publisher failure into the shard\'s ProbeErrors and keeps ticking', async () => {
    const rejectPutEvents = sandbox.faults.add({ service: 'events', operation: 'PutEvents', kind: 'error', errorCode: 'AccessDeniedException', status: 400 });
    origin.set('news-1/standby', { stallAt: Date.now() - 12_000 });
    try {
      const result = await handlerModule.handler(undefined, contextAllowing(3));
      expect(result.ticks).toBe(3);
    } finally {
      rejectPutEvents();
      origin.clear('news-1/standby');
    }
    const shardDocs = emfLines().filter((m) => 'Heartbeat' in m) as Array<Emf & { Heartbeat?: number; ProbeErrors?: number }>;
    expect(shardDocs.reduce((n, m) => n + (m.Heartbeat ?? 0), 0)).toBe(3);
    // The standby's Manifest Stale was rejected on the 2nd tick and retried (and rejected) on the 3rd.
    expect(shardDocs.reduce((n, m) => n + (m.ProbeErrors ?? 0), 0)).toBe(2);
  });

  it('deadline schedule: publishes what came back after its last tick (the fetches it started settle before it returns)', async () => {
    // A new loop on the deadline schedule (the default), cold: one tick starts the multivariant playlists; the
    // renditions, and the confirming re-fetches of the frozen ones, all come back after that tick.
    await handlerModule.closeProbeLoops();
    process.env.PROBE_SCHEDULE = 'deadline';
    origin.set('news-1/primary', { stallAt: Date.now() - 12_000 });
    try {
      const result = await handlerModule.handler(undefined, contextAllowing(1));
      expect(result.transitions).toBe(1);
      // 3 multivariant playlists; 6 renditions x 3 fetches on each origin (confirmed at once); 6 on the edge, whose
      // confirmations wait for its cached copies to expire (max-age=1), after the invocation.
      expect(result.fetches).toBe(3 + 2 * 6 * 3 + 6);
      expect(putEvents().flatMap((c) => c.body.Entries.map((e) => `${e.DetailType} ${(JSON.parse(e.Detail) as { path: string }).path}`))).toEqual(['Manifest Stale primary']);
      // The primary's renditions: the first stale fetch and `consecutive` (2) confirmations each.
      for (const r of ['1080p', '720p', '540p', '360p', '234p', 'audio']) expect(origin.hits.get(`/news-1/primary/${r}.m3u8`)).toBeGreaterThanOrEqual(3);
    } finally {
      origin.clear('news-1/primary');
      await handlerModule.closeProbeLoops();
      process.env.PROBE_SCHEDULE = 'sweep';
    }
  });

  it('reports a fetch error on a path as FetchErrors without a ManifestAge datapoint', async () => {
    origin.set('news-1/standby', { status: 503 }, '720p');
    await handlerModule.handler(undefined, contextAllowing(1));
    const standby = emfLines().filter((m) => m.Channel === 'news-1' && m.Path === 'standby');
    expect(standby).toHaveLength(1);
    expect(standby[0]).toMatchObject({ FetchErrors: 1 });
    expect(standby[0]).not.toHaveProperty('ManifestAge');
    origin.clear('news-1/standby', '720p');
  });
});

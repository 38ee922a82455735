// Triage end to end over real sockets: the real SDK clients against the AWS sandbox (dynalite ledger, Step
// Functions, MediaLive) and a loopback live HLS origin (confirmation), with the real manifest check. The state
// machines are stand-ins that wait until stopped: these tests see what triage starts, not what the ASL does.
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MediaLiveClient } from '@aws-sdk/client-medialive';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionInput } from '../../functions/domain/contracts.js';
import { DrillNotAllowedError, InvalidInputError, UnknownChannelError } from '../../functions/domain/errors.js';
import { Ledger } from '../../functions/domain/ledger/ledger.js';
import { RECENT_CAP } from '../../functions/domain/ledger/rules.js';
import { checkManifestFreshness } from '../../functions/domain/manifest/index.js';
import { parseRegistry, type Registry } from '../../functions/domain/registry/index.js';
import { incidentIdFor, toSignal, triage, type TriageDeps } from '../../functions/domain/triage/index.js';
import { recheckScheduler } from '../../functions/domain/triage/recheck.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';
import { LiveOrigin } from '../../sandbox/testkit/live-origin.js';
import { registryFor } from '../../sandbox/testkit/state-machine-testbed.js';
import { DESCRIPTION_MAX_BYTES } from '../../functions/domain/triage/schemas.js';

const FAILOVER = 'arn:aws:states:us-west-2:123456789012:stateMachine:flatline-test-failover';
const FAILBACK = 'arn:aws:states:us-west-2:123456789012:stateMachine:flatline-test-failback';
const RECHECK = 'arn:aws:states:us-west-2:123456789012:stateMachine:flatline-test-recheck';
/** A state machine that runs until StopExecution: its execution stays open, as a failover in progress does. */
const standIn = (key: string) => ({ key, name: `flatline-test-${key}`, definition: { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 86_400, End: true } } } });

let sandbox: AwsSandbox;
let origin: LiveOrigin;
let registry: Registry;
let doc: DynamoDBDocumentClient;
let ledger: Ledger;
let dynamoCalls = 0;
let pages: string[] = [];

/** A sample from events/, re-timed to now (so the confirmation's clock and the event agree). */
function sample(file: string, at = new Date()): Record<string, unknown> & { detail: Record<string, unknown> } {
  const e = JSON.parse(readFileSync(`events/${file}`, 'utf8')) as Record<string, unknown> & { detail: Record<string, unknown> };
  e.time = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const state = e.detail.state as { timestamp?: string } | undefined;
  if (state?.timestamp) state.timestamp = at.toISOString().replace('Z', '+0000');
  if (typeof e.detail.observedAt === 'string') e.detail.observedAt = at.toISOString();
  return e;
}

function deps(over: Partial<TriageDeps> = {}): TriageDeps {
  const sfn = new SFNClient(sandbox.clientConfig());
  const mediaLive = new Map<string, MediaLiveClient>();
  return {
    registry,
    ledger,
    sfn,
    mediaLive: (region) => mediaLive.get(region) ?? mediaLive.set(region, new MediaLiveClient({ ...sandbox.clientConfig({ region }), maxAttempts: 1 })).get(region)!,
    checkFreshness: (url, opts) => checkManifestFreshness(url, { ...opts, timeoutMs: 2000 }),
    stateMachines: { failover: FAILOVER, failback: FAILBACK },
    stage: 'example',
    account: '123456789012',
    notify: async (page) => {
      pages.push(page.subject);
    },
    ...over,
  };
}

/** The sandbox's AWS calls as "<service>:<operation>" (DynamoDB is dynalite's: counted apart, in dynamoCalls). */
const awsCalls = () => sandbox.calls.map((c) => `${c.service}:${c.operation}`);
/** The AWS calls and the origin's requests. */
const allCalls = () => [...awsCalls(), ...[...origin.hits].flatMap(([path, n]) => Array.from({ length: n }, () => `origin:GET ${path}`))];
/** What every StartExecution call asked for, oldest first (an idempotent repeat included). */
const starts = () => sandbox.payloads<{ stateMachineArn: string; name: string; input: string }>('StartExecution');
const executions = () => sandbox.sfn.executions();
/** The channel's primary origin stopped producing a minute ago. */
const primaryStale = (channelId: string) => origin.set(`${channelId}/primary`, { stallAt: Date.now() - 60_000 });

beforeAll(async () => {
  // 4 s segments (threshold 6 s): a fresh manifest stays fresh even when a loaded machine delays a response.
  origin = new LiveOrigin({ segmentS: 4, renditions: ['720p'] });
  await origin.start();
  // Every manifest URL on the loopback origin; the origins' as media playlists (one fetch per check).
  const doc = structuredClone(registryFor(origin));
  for (const c of doc.channels) for (const side of ['primary', 'standby'] as const) c[side].manifestUrl = origin.url(`${c.id}/${side}`, '720p.m3u8');
  registry = parseRegistry(doc, 'test registry');
});
afterAll(async () => {
  await origin.close();
});
beforeEach(async () => {
  // A fresh sandbox per test: an empty ledger, no executions, channels as the registry says, no calls.
  sandbox = await startAwsSandbox({ registry, serverlessPath: false, stateMachines: [standIn('failover'), standIn('failback'), standIn('recheck')], medialive: { publishEvents: false } });
  doc = DynamoDBDocumentClient.from(new DynamoDBClient(sandbox.clientConfig({ dynamodb: true })), { marshallOptions: { removeUndefinedValues: true } });
  doc.middlewareStack.add(
    (next) => async (args) => {
      dynamoCalls++;
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  ledger = new Ledger({ tableName: sandbox.dynamodb.tableName, client: doc });
  // kids-1's primary MediaLive channel allows drills; the other channels carry no tag.
  sandbox.medialive.side('kids-1', 'primary').tags['flatline:drill'] = 'allowed';
  for (const c of registry.channels) for (const path of ['primary', 'standby', 'edge']) origin.clear(`${c.id}/${path}`);
  origin.hits.clear();
  dynamoCalls = 0;
  pages = [];
});
afterEach(async () => {
  doc.destroy();
  await sandbox.stop();
});

describe('triage: pipelines', () => {
  it('a single-pipeline alert on a STANDARD channel => degraded, recorded, no failover and no AWS call', async () => {
    const d = await triage(sample('medialive-alert-pipeline0-set.json'), deps());
    expect(d).toMatchObject({ decision: 'record', mode: 'live' });
    expect(d.reason).toMatch(/degraded/);
    expect(awsCalls()).toEqual([]);
    const item = await ledger.get('news-1');
    expect(item.recent.at(-1)).toMatchObject({ kind: 'pipeline-alert' });
    expect(item.phase).toBe('steady');
  });

  it('both pipelines alerting (and the manifest stale) => confirmed, exactly one execution', async () => {
    primaryStale('news-1');
    expect((await triage(sample('medialive-alert-pipeline0-set.json'), deps())).decision).toBe('record');
    const d = await triage(sample('medialive-alert-pipeline1-set.json'), deps());
    expect(d.decision).toBe('failover');
    // A not-fresh manifest decides on its own: DescribeChannel's answer is in the reason only when it came first.
    expect(d.reason).toMatch(/both pipelines alerting.*confirmed: (primary RUNNING with 2 pipelines, manifest not fresh|DescribeChannel not awaited .*primary manifest not fresh)/);
    expect(starts()).toHaveLength(1);
    const start = starts()[0];
    expect(start?.stateMachineArn).toBe(FAILOVER);
    expect(start?.name).toBe(`news-1-${d.incidentId}`);
    const input = JSON.parse(start?.input ?? '{}') as ExecutionInput;
    expect(input).toMatchObject({ incidentId: d.incidentId, channelId: 'news-1', action: 'failover', mode: 'live', signal: { kind: 'pipeline-alert', pipeline: '1' } });
    const item = await ledger.get('news-1');
    expect(item).toMatchObject({ phase: 'failing-over', incidentId: d.incidentId, executionArn: d.executionArn });
  });

  it('an alert with a long AWS message is kept, its message cut to DESCRIPTION_MAX_BYTES (an outage is never dropped for its text)', async () => {
    const alert = sample('medialive-alert-pipeline0-set.json');
    alert.detail.message = '€'.repeat(10_000); // 30 KB
    const d = await triage(alert, deps());
    expect(d.decision).toBe('record');
    const message = d.signal.detail?.message as string;
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(DESCRIPTION_MAX_BYTES);
    expect(message).toBe(`${'€'.repeat(Math.floor((DESCRIPTION_MAX_BYTES - 3) / 3))}…`);
  });

  it('a cleared alert shrinks the pipeline set: a later alert on the other pipeline is only degraded', async () => {
    await triage(sample('medialive-alert-pipeline0-set.json'), deps());
    await triage(sample('medialive-alert-pipeline0-cleared.json'), deps());
    expect((await triage(sample('medialive-alert-pipeline1-set.json'), deps())).decision).toBe('record');
    expect(starts()).toHaveLength(0);
  });
});

describe('triage: confirmation', () => {
  it('recovered before failover (RUNNING with pipelines, fresh manifest) => ignore, no execution', async () => {
    const d = await triage(sample('cloudwatch-alarm-manifest-age-primary.json'), deps());
    expect(d.decision).toBe('ignore');
    expect(d.reason).toMatch(/^recovered before failover: primary RUNNING with 2 pipelines, manifest fresh/);
    expect(awsCalls()).toContain('medialive:DescribeChannel');
    expect(starts()).toHaveLength(0);
    expect((await ledger.get('news-1')).recent.at(-1)?.kind).toBe('recovered-before-failover');
  });

  it('a RECOVERING channel with no pipeline => failover', async () => {
    const primary = sandbox.medialive.side('news-1', 'primary');
    primary.setPipelineHealthy('0', false);
    primary.setPipelineHealthy('1', false);
    expect([primary.state, primary.pipelinesRunningCount]).toEqual(['RECOVERING', 0]);
    primaryStale('news-1');
    const d = await triage(sample('medialive-state-recovering.json'), deps());
    expect(d.decision).toBe('failover');
    expect(starts()).toHaveLength(1);
  });

  it('the primary region API down: the manifest decides (stale => failover, fresh => ignore)', async () => {
    sandbox.faults.add({ service: 'medialive', operation: 'DescribeChannel', region: 'us-east-1', kind: '5xx', status: 503, errorCode: 'ServiceUnavailableException', message: 'regional outage (simulated)' });
    const fresh = await triage(sample('cloudwatch-alarm-manifest-age-primary.json'), deps());
    expect(fresh.decision).toBe('ignore');
    expect(fresh.reason).toMatch(/DescribeChannel failed.*manifest fresh/);
    primaryStale('news-1');
    const stale = await triage(sample('cloudwatch-alarm-manifest-age-primary.json', new Date(Date.now() + 60_000)), deps());
    expect(stale.decision).toBe('failover');
    expect(starts()).toHaveLength(1);
  });

  it('the primary region blackholed (DescribeChannel accepted, never answered): a stale manifest decides without waiting for it', async () => {
    // The client has no request timeout here: a confirmation that waited for DescribeChannel would never end.
    sandbox.faults.add({ service: 'medialive', operation: 'DescribeChannel', region: 'us-east-1', kind: 'blackhole' });
    primaryStale('news-1');
    const d = await triage(sample('cloudwatch-alarm-manifest-age-primary.json'), deps());
    expect(d.decision).toBe('failover');
    expect(d.confirmation).toMatchObject({ recovered: false, manifest: { fresh: false } });
    expect(d.confirmation?.channelState).toBeUndefined();
    expect(d.confirmation?.reason).toMatch(/^DescribeChannel not awaited .*; primary manifest not fresh/);
    expect(sandbox.calls.map((c) => `${c.service}:${c.operation}:${String(c.fault)}`)).toContain('medialive:DescribeChannel:blackhole');
    expect(starts()).toHaveLength(1);
  });

  it('an outage within the dwell after a failback: recorded and paged at once, once; the re-announced outage fails over when the dwell is over', async () => {
    primaryStale('news-1');
    await ledger.acquire({ channelId: 'news-1', incidentId: 'failback-1', action: 'failback', ttlMs: 60_000 });
    await ledger.complete({ channelId: 'news-1', incidentId: 'failback-1', outcome: 'succeeded', onAir: 'primary' });
    const t0 = Date.now();
    const at = (ms: number, reminder: boolean) => {
      const e = sample('probe-manifest-stale.json', new Date(t0 + ms));
      if (reminder) e.detail.reminder = true;
      return e;
    };
    const first = await triage(at(0, false), deps());
    expect(first.decision).toBe('record');
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatch(/PAGE flatline news-1: outage within the dwell/);
    const during = await triage(at(60_000, true), deps({ now: () => t0 + 60_000 }));
    expect(during.decision).toBe('record');
    expect(pages).toHaveLength(1);
    const after = await triage(at(301_000, true), deps({ now: () => t0 + 301_000 }));
    expect(after.decision).toBe('failover');
    expect(executions()).toHaveLength(1);
  });

  it('an outage event within the dwell while the primary is fine (late, duplicated) is recorded, not paged, and schedules no re-check', async () => {
    await ledger.acquire({ channelId: 'news-1', incidentId: 'failback-1', action: 'failback', ttlMs: 60_000 });
    await ledger.complete({ channelId: 'news-1', incidentId: 'failback-1', outcome: 'succeeded', onAir: 'primary' });
    const scheduled: unknown[] = [];
    const d = await triage(sample('probe-manifest-stale.json'), deps({ scheduleRecheck: async (r) => void scheduled.push(r) }));
    expect(d.decision).toBe('record');
    expect(d.reason).toMatch(/within the dwell .*; not confirmed, no page: primary RUNNING .* manifest fresh/);
    expect(pages).toEqual([]);
    expect(scheduled).toEqual([]);
    expect(executions()).toHaveLength(0);
  });

  it('an outage within the dwell comes back to triage the moment the dwell ends: one re-check per dwell, confirmed afresh', async () => {
    primaryStale('news-1');
    await ledger.acquire({ channelId: 'news-1', incidentId: 'failback-1', action: 'failback', ttlMs: 60_000 });
    const { lastTransitionAt } = await ledger.complete({ channelId: 'news-1', incidentId: 'failback-1', outcome: 'succeeded', onAir: 'primary' });
    const dwellEnd = lastTransitionAt! + 300_000;
    const scheduleRecheck = recheckScheduler({ sfn: new SFNClient(sandbox.clientConfig()), stateMachineArn: RECHECK, account: '123456789012', region: 'us-west-2' });
    const t0 = Date.now();
    expect((await triage(sample('probe-manifest-stale.json', new Date(t0)), deps({ scheduleRecheck }))).decision).toBe('record');
    const reminder = sample('probe-manifest-stale.json', new Date(t0 + 60_000));
    reminder.detail.reminder = true;
    expect((await triage(reminder, deps({ scheduleRecheck, now: () => t0 + 60_000 }))).decision).toBe('record');

    const rechecks = executions().filter((x) => x.stateMachineKey === 'recheck');
    expect(rechecks).toHaveLength(1);
    const input = JSON.parse(rechecks[0]!.input) as { at: string; event: Record<string, unknown> };
    expect(Date.parse(input.at)).toBeGreaterThanOrEqual(dwellEnd);
    expect(Date.parse(input.at)).toBeLessThan(dwellEnd + 1000);
    expect(executions().filter((x) => x.stateMachineKey === 'failover')).toHaveLength(0);

    // What the re-check hands triage when the dwell is over: the primary, still stale, fails over.
    const atEnd = Date.parse(input.at);
    const recheck = await triage(input.event, deps({ scheduleRecheck, now: () => atEnd }));
    expect(recheck.decision).toBe('failover');
    expect(recheck.reason).toMatch(/the dwell is over/);
    expect(executions().filter((x) => x.stateMachineKey === 'failover')).toHaveLength(1);
  });

  it('the re-check at the end of the dwell starts nothing when the primary has recovered meanwhile', async () => {
    await ledger.acquire({ channelId: 'news-1', incidentId: 'failback-1', action: 'failback', ttlMs: 60_000 });
    const { lastTransitionAt } = await ledger.complete({ channelId: 'news-1', incidentId: 'failback-1', outcome: 'succeeded', onAir: 'primary' });
    const at = lastTransitionAt! + 300_000;
    const event = { ...sample('probe-manifest-stale.json'), source: 'flatline.triage', 'detail-type': 'Outage Recheck', time: new Date(at).toISOString(), detail: { channelId: 'news-1', lastTransitionAt, reason: 'r' } };
    const decision = await triage(event, deps({ now: () => at }));
    expect(decision.decision).toBe('ignore');
    expect(decision.reason).toMatch(/recovered before failover/);
    expect(executions()).toHaveLength(0);
  });

  it('a manual failback within the dwell is refused unless force: true', async () => {
    await ledger.acquire({ channelId: 'news-1', incidentId: 'failover-1', action: 'failover', ttlMs: 60_000 });
    await ledger.complete({ channelId: 'news-1', incidentId: 'failover-1', outcome: 'succeeded', onAir: 'standby' });
    const refused = await triage(sample('ops-failback-requested.json'), deps());
    expect(refused.decision).toBe('record');
    expect(refused.reason).toMatch(/force: true/);
    const forced = sample('ops-failback-requested.json');
    forced.id = 'forced-1';
    forced.detail.force = true;
    expect((await triage(forced, deps())).decision).toBe('failback');
  });

  it('a stale primary origin behind an edge with nothing newer: confirmed, then failover; recovered meanwhile => nothing starts', async () => {
    const recovered = await triage(sample('probe-manifest-stale-primary-edge-frozen.json'), deps());
    expect(recovered.decision).toBe('ignore');
    expect(recovered.reason).toMatch(/^recovered before failover: primary RUNNING with 2 pipelines, manifest fresh/);
    expect(starts()).toHaveLength(0);
    primaryStale('news-1');
    const primary = sandbox.medialive.side('news-1', 'primary');
    primary.setPipelineHealthy('0', false);
    primary.setPipelineHealthy('1', false);
    const d = await triage(sample('probe-manifest-stale-primary-edge-frozen.json', new Date(Date.now() + 1000)), deps());
    expect(d.decision).toBe('failover');
    expect(d.reason).toMatch(/the edge has nothing newer than the frozen primary origin \(edge newest media ends 2025-06-01T12:00:02.500Z, origin 2025-06-01T12:00:02.500Z; its latest reading 9300 ms old, past the 9000 ms threshold\)/);
    expect(awsCalls()).toContain('medialive:DescribeChannel');
    expect(starts()).toHaveLength(1);
  });

  it('a stale primary origin behind an edge with newer media, read within the threshold, or with no live edge to compare: watching, nothing checked or started', async () => {
    primaryStale('news-1');
    const newer = sample('probe-manifest-stale-primary-edge-frozen.json');
    (newer.detail.paths as { edge: { liveEdgeAt: number } }).edge.liveEdgeAt += 2000;
    const d = await triage(newer, deps());
    expect(d.decision).toBe('record');
    expect(d.reason).toMatch(/watching: the edge has newer media than the primary origin/);
    const unknown = sample('probe-manifest-stale-primary-edge-frozen.json', new Date(Date.now() + 1000));
    delete (unknown.detail.paths as { edge: { liveEdgeAt?: number } }).edge.liveEdgeAt;
    expect((await triage(unknown, deps())).reason).toMatch(/watching: the newest media end of the edge is not known/);
    const early = sample('probe-manifest-stale-primary-edge-frozen.json', new Date(Date.now() + 2000));
    (early.detail.paths as { edge: { ageMs: number } }).edge.ageMs = 8000;
    expect((await triage(early, deps())).reason).toMatch(/watching: the edge's latest reading \(8000 ms old/);
    expect(awsCalls()).toEqual([]);
    expect(starts()).toHaveLength(0);
  });

  it('a stale edge in front of a fresh primary is a caching problem: recorded, nothing checked or started', async () => {
    const d = await triage(sample('probe-manifest-stale-edge-only.json'), deps());
    expect(d.decision).toBe('record');
    expect(d.reason).toMatch(/caching/);
    expect(awsCalls()).toEqual([]);
  });
});

describe('triage: duplicates and concurrency', () => {
  it('50 concurrent invocations of the same alarm => one lock holder and one execution', async () => {
    primaryStale('news-1');
    const event = sample('cloudwatch-alarm-manifest-age-primary.json');
    const decisions = await Promise.all(Array.from({ length: 50 }, () => triage(structuredClone(event), deps())));
    expect(new Set(decisions.map((d) => d.incidentId)).size).toBe(1);
    expect(executions()).toHaveLength(1);
    const [execution] = executions();
    for (const d of decisions) {
      expect(['failover', 'coalesced']).toContain(d.decision);
      if (d.executionArn) expect(d.executionArn).toBe(execution?.executionArn);
    }
    const item = await ledger.get('news-1');
    expect(item).toMatchObject({ phase: 'failing-over', incidentId: decisions[0]?.incidentId, executionArn: execution?.executionArn, version: 2 });
  });

  it('a storm of duplicates after the incident started writes the ledger item once more at most', async () => {
    primaryStale('news-1');
    const alarm = sample('cloudwatch-alarm-manifest-age-primary.json');
    const stale = sample('probe-manifest-stale.json');
    await triage(structuredClone(alarm), deps());
    const before = await ledger.get('news-1');
    const storm = Array.from({ length: 100 }, (_, i) => structuredClone(i % 2 ? alarm : stale));
    const decisions = await Promise.all(storm.map((e) => triage(e, deps())));
    expect(decisions.every((d) => d.decision === 'coalesced')).toBe(true);
    const after = await ledger.get('news-1');
    expect(executions()).toHaveLength(1);
    // The probe's stale event is another fact (another incident id): one 'coalesced' line for it, then nothing.
    const added = after.recent.slice(before.recent.length);
    expect(added.map((e) => e.kind)).toEqual(['coalesced']);
    expect(after.version).toBe(before.version);
  });

  it('another outage signal while the incident runs is coalesced and recorded', async () => {
    primaryStale('news-1');
    const first = await triage(sample('cloudwatch-alarm-manifest-age-primary.json'), deps());
    const before = awsCalls().length;
    const second = await triage(sample('probe-manifest-stale.json'), deps());
    expect(second.decision).toBe('coalesced');
    expect(second.reason).toMatch(new RegExp(`coalesced into incident ${first.incidentId}`));
    // No confirmation for a coalesced signal: only a look at whether the incident's execution still runs.
    expect(awsCalls().slice(before)).toEqual(['states:DescribeExecution']);
    expect(starts()).toHaveLength(1);
    expect((await ledger.get('news-1')).recent.at(-1)?.kind).toBe('coalesced');
  });

  it('a retried triage whose incident holds the lock without an execution re-issues the same StartExecution', async () => {
    const event = sample('ops-failover-requested.json');
    const incidentId = incidentIdFor(toSignal(event, { registry }).signal);
    await ledger.acquire({ channelId: 'news-1', incidentId, action: 'failover', ttlMs: 60_000 }); // the crashed first attempt
    const decidedAt = Date.parse('2026-01-01T00:00:00.000Z');
    const d = await triage(event, deps({ now: () => decidedAt }));
    // The decision is timed when it was final, before the lock and StartExecution (the drill report's "triage").
    expect(d).toMatchObject({ decision: 'failover', incidentId, decidedAt: new Date(decidedAt).toISOString() });
    expect((await ledger.get('news-1')).executionArn).toBe(d.executionArn);
    const again = await triage(event, deps()); // a redelivery now finds the execution attached
    expect(again).toMatchObject({ decision: 'coalesced', executionArn: d.executionArn });
    expect(executions()).toHaveLength(1);
  });

  it('a failed StartExecution (input too large) releases the lock, pages once, and rethrows for the retry / DLQ', async () => {
    primaryStale('news-1');
    sandbox.faults.add({ service: 'states', operation: 'StartExecution', kind: 'error', errorCode: 'InvalidExecutionInput', status: 400, count: 1 });
    const event = sample('cloudwatch-alarm-manifest-age-primary.json');
    await expect(triage(event, deps())).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    const item = await ledger.get('news-1');
    expect(item).toMatchObject({ phase: 'steady', onAir: 'primary' });
    expect(item.lockExpiresAt).toBeUndefined();
    expect(item.recent.map((e) => e.kind)).toContain('start-failed');
    expect(pages).toEqual(['PAGE flatline news-1: failover could not start']);
    // A later real outage is not coalesced into an incident that does not exist: it starts.
    const next = await triage(sample('probe-manifest-stale.json'), deps());
    expect(next.decision).toBe('failover');
    expect(executions()).toHaveLength(1);
  });

  it("an operator's request that cannot start: the page names who asked and why", async () => {
    sandbox.faults.add({ service: 'states', operation: 'StartExecution', kind: 'error', errorCode: 'InvalidExecutionInput', status: 400, count: 1 });
    const messages: string[] = [];
    await expect(triage(sample('ops-failover-requested.json'), deps({ notify: async (page) => void messages.push(page.message) }))).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]!.split('\n')).toContain('requested by ops@example.com: primary encoder maintenance');
  });

  it('a lock whose execution is no longer RUNNING is taken over, not joined', async () => {
    primaryStale('news-1');
    const first = await triage(sample('cloudwatch-alarm-manifest-age-primary.json'), deps());
    expect(first.decision).toBe('failover');
    // The execution ended without its finish step (here: stopped; or timed out): the lock stays until it expires.
    await new SFNClient(sandbox.clientConfig()).send(new StopExecutionCommand({ executionArn: first.executionArn }));
    const second = await triage(sample('probe-manifest-stale.json'), deps());
    expect(second.decision).toBe('failover');
    expect(second.incidentId).not.toBe(first.incidentId);
    expect(executions()).toHaveLength(2);
    const item = await ledger.get('news-1');
    expect(item).toMatchObject({ incidentId: second.incidentId, executionArn: second.executionArn, phase: 'failing-over' });
    expect(item.recent.some((e) => e.kind === 'lock-acquired' && /taken over from incident/.test(e.message))).toBe(true);
  });

  it('an expired lock whose execution still runs is joined, not taken: one execution per channel', async () => {
    primaryStale('news-1');
    const first = await triage(sample('cloudwatch-alarm-manifest-age-primary.json'), deps());
    expect(first.decision).toBe('failover');
    // The lock ends under a failover that still runs (a step slower than the lock was sized for).
    await doc.send(new UpdateCommand({ TableName: sandbox.dynamodb.tableName, Key: { channelId: 'news-1' }, UpdateExpression: 'SET lockExpiresAt = :past', ExpressionAttributeValues: { ':past': Date.now() - 1 } }));
    const second = await triage(sample('probe-manifest-stale.json'), deps());
    expect(second.decision).toBe('coalesced');
    expect(second.reason).toContain(`coalesced into incident ${first.incidentId}: its lock expired but its execution ${first.executionArn} still runs`);
    expect(executions()).toHaveLength(1);
    expect(await ledger.get('news-1')).toMatchObject({ incidentId: first.incidentId, executionArn: first.executionArn, phase: 'failing-over' });
  });

  it('a redelivery after the execution closed => coalesced, and the lock it took is released', async () => {
    const event = sample('ops-failover-requested.json');
    const d = await triage(event, deps());
    await ledger.complete({ channelId: 'news-1', incidentId: d.incidentId as string, outcome: 'rolled-back', onAir: 'primary' });
    const sfn = new SFNClient(sandbox.clientConfig());
    for (const e of executions()) await sfn.send(new StopExecutionCommand({ executionArn: e.executionArn }));
    expect(executions().map((e) => e.status)).toEqual(['ABORTED']);
    const again = await triage(event, deps());
    expect(again.decision).toBe('coalesced');
    expect(again.reason).toMatch(/already ran/);
    expect((await ledger.get('news-1')).phase).toBe('steady');
  });
});

describe('triage: rejected events', () => {
  const rejects: Array<[string, typeof InvalidInputError | typeof UnknownChannelError]> = [
    ['malformed/missing-detail.json', InvalidInputError],
    ['malformed/wrong-types.json', InvalidInputError],
    ['malformed/unknown-source.json', InvalidInputError],
    ['malformed/not-a-flatline-alarm.json', InvalidInputError],
    ['malformed/unknown-channel-medialive.json', UnknownChannelError],
    ['malformed/medialive-foreign-partition.json', InvalidInputError],
    ['malformed/medialive-resources-disagree.json', InvalidInputError],
    ['malformed/unknown-channel-ops.json', UnknownChannelError],
  ];
  it.each(rejects)('%s => throws, zero AWS calls (ledger included)', async (file, type) => {
    await expect(triage(JSON.parse(readFileSync(`events/${file}`, 'utf8')), deps())).rejects.toBeInstanceOf(type);
    expect(allCalls()).toEqual([]);
    expect(dynamoCalls).toBe(0);
  });

  it('an alarm whose resources name another alarm (or none) => throws, zero AWS calls', async () => {
    const alarm = sample('cloudwatch-alarm-manifest-age-primary.json'); // news-1 primary
    const other = 'arn:aws:cloudwatch:us-west-2:123456789012:alarm:flatline-example-sports-1-manifest-age-primary';
    await expect(triage({ ...alarm, resources: [other] }, deps())).rejects.toThrow(
      `resources [${other}] do not name detail.alarmName "flatline-example-news-1-manifest-age-primary" (and no other alarm)`,
    );
    await expect(triage({ ...alarm, resources: [...(alarm.resources as string[]), other] }, deps())).rejects.toBeInstanceOf(InvalidInputError);
    await expect(triage({ ...alarm, resources: [] }, deps())).rejects.toBeInstanceOf(InvalidInputError);
    expect(allCalls()).toEqual([]);
    expect(dynamoCalls).toBe(0);
  });

  it('without the account of the channels, a MediaLive event cannot be checked => throws, zero AWS calls', async () => {
    await expect(triage(sample('medialive-state-stopped.json'), deps({ account: undefined }))).rejects.toThrow(/the account of the registry's channels is not configured \(FLATLINE_ACCOUNT_ID\)/);
    expect(dynamoCalls).toBe(0);
  });
});

describe('triage: operator, drill, plan mode', () => {
  it('an operator request with an old time (11 min) is recorded as evidence, never acted on', async () => {
    const d = await triage(sample('ops-failover-requested.json', new Date(Date.now() - 11 * 60_000)), deps());
    expect(d.decision).toBe('record');
    expect(d.reason).toMatch(/older than the bound/);
    expect(allCalls()).toEqual([]);
    expect((await ledger.get('news-1')).recent.at(-1)?.kind).toBe('failover-requested');
  });

  it('an operator failover skips confirmation', async () => {
    const d = await triage(sample('ops-failover-requested.json'), deps());
    expect(d.decision).toBe('failover');
    expect(allCalls()).toEqual(['states:StartExecution']);
  });

  it('a drill is a forced failover tagged drill:true in the execution input, once triage has read the drill tag', async () => {
    const d = await triage(sample('ops-drill-requested.json'), deps());
    expect(d).toMatchObject({ decision: 'failover', drill: true });
    expect(JSON.parse(starts()[0]?.input ?? '{}')).toMatchObject({ drill: true, channelId: 'kids-1', action: 'failover' });
    expect(allCalls()).toEqual(['medialive:DescribeChannel', 'medialive:ListTagsForResource', 'states:StartExecution']);
  });

  it('refuses a drill of a channel without flatline:drill=allowed (to the dead letters, with the reason), before touching anything', async () => {
    sandbox.medialive.side('kids-1', 'primary').tags['flatline:drill'] = 'no';
    const refused = triage(sample('ops-drill-requested.json'), deps());
    await expect(refused).rejects.toThrow(DrillNotAllowedError);
    await expect(refused).rejects.toThrow(/kids-1: its primary MediaLive channel \d+ \(us-east-1\) does not carry the tag flatline:drill=allowed/);
    expect(allCalls()).toEqual(['medialive:DescribeChannel', 'medialive:ListTagsForResource']);
    expect(starts()).toEqual([]);
    expect(await ledger.get('kids-1')).toMatchObject({ version: 0, recent: [] });
  });

  it("carries the operator's requestedBy and reason into the execution input and the ledger", async () => {
    const d = await triage(sample('ops-failover-requested.json'), deps());
    const input = JSON.parse(starts()[0]?.input ?? '{}') as ExecutionInput;
    // Free text travels once: in the input's signal, not copied into its reason.
    expect(input.signal.detail).toMatchObject({ requestedBy: 'ops@example.com', reason: 'primary encoder maintenance' });
    const item = await ledger.get('news-1');
    expect(item.recent.find((e) => e.message.startsWith('requested by'))).toMatchObject({
      kind: 'failover-requested',
      message: 'requested by ops@example.com: primary encoder maintenance',
      incidentId: d.incidentId,
    });
  });

  it('plan mode from the event or from FLATLINE_MODE starts the execution in plan mode', async () => {
    const fromEvent = await triage(sample('ops-failover-requested-plan.json'), deps());
    expect(fromEvent).toMatchObject({ decision: 'failover', mode: 'plan' });
    expect(JSON.parse(starts()[0]?.input ?? '{}')).toMatchObject({ mode: 'plan', channelId: 'sports-1' });
    const fromEnv = await triage(sample('ops-drill-requested.json'), deps({ mode: 'plan' }));
    expect(fromEnv.mode).toBe('plan');
    expect(JSON.parse(starts()[1]?.input ?? '{}')).toMatchObject({ mode: 'plan' });
  });

  it('an operator failback on a channel that is on the standby starts the failback machine', async () => {
    const first = await triage(sample('ops-failover-requested.json'), deps());
    await ledger.complete({ channelId: 'news-1', incidentId: first.incidentId as string, outcome: 'succeeded', onAir: 'standby' });
    const afterDwell = Date.now() + 301_000; // news-1: minDwellSeconds 300
    const d = await triage(sample('ops-failback-requested.json', new Date(afterDwell)), deps({ now: () => afterDwell }));
    expect(d.decision).toBe('failback');
    expect(starts().at(-1)?.stateMachineArn).toBe(FAILBACK);
  });
});

describe('triage: standby side and automatic failback', () => {
  it('a standby alert while the standby is on air pages and starts nothing', async () => {
    const first = await triage(sample('ops-failover-requested.json'), deps());
    await ledger.complete({ channelId: 'news-1', incidentId: first.incidentId as string, outcome: 'succeeded', onAir: 'standby' });
    const d = await triage(sample('medialive-alert-standby-set.json'), deps());
    expect(d.decision).toBe('record');
    expect(pages).toHaveLength(1);
    expect(starts()).toHaveLength(1);
  });

  it('the standby on air goes stale at its origin and the edge: failback with standbyDown at once (within the dwell), paged', async () => {
    const first = await triage(sample('ops-failover-requested.json'), deps());
    await ledger.complete({ channelId: 'news-1', incidentId: first.incidentId as string, outcome: 'succeeded', onAir: 'standby' });
    const edge = sample('probe-manifest-stale-edge-only.json');
    (edge.detail.paths as Record<string, { state: string }>).standby!.state = 'stale';
    // Confirmed against the standby: while its origin is fresh (an alarm raised by the primary's outage, late), nothing starts.
    expect(await triage(edge, deps())).toMatchObject({ decision: 'ignore', reason: expect.stringMatching(/^recovered before failback: standby RUNNING .* manifest fresh/) });
    expect(starts()).toHaveLength(1);
    origin.set('news-1/standby', { stallAt: Date.now() - 60_000 });
    const d = await triage({ ...edge, id: 'the-same-a-tick-later' }, deps());
    expect(d.decision).toBe('failback');
    expect(d.reason).toMatch(/standby outage while it is on air/);
    const input = JSON.parse(starts().at(-1)!.input) as ExecutionInput;
    expect(starts().at(-1)!.stateMachineArn).toBe(FAILBACK);
    expect(input).toMatchObject({ action: 'failback', standbyDown: true, reason: expect.stringMatching(/standby on air is down/) });
    expect(pages).toEqual([expect.stringMatching(/^PAGE flatline news-1: the standby on air is down/)]);
  });

  it('on the standby, a stale edge in front of a fresh standby origin is a caching problem, judged against the standby', async () => {
    const first = await triage(sample('ops-failover-requested.json'), deps());
    await ledger.complete({ channelId: 'news-1', incidentId: first.incidentId as string, outcome: 'succeeded', onAir: 'standby' });
    const edge = sample('probe-manifest-stale-edge-only.json');
    (edge.detail.paths as Record<string, { state: string }>).primary!.state = 'stale'; // the probe then calls it an outage
    const d = await triage(edge, deps());
    expect(d.decision).toBe('record');
    expect(d.reason).toMatch(/standby origin \(on air\) is fresh: CDN caching/);
    expect(starts()).toHaveLength(1);
  });

  it('a redelivered standby alert pages once, even after recent[] was trimmed in between', async () => {
    const first = await triage(sample('ops-failover-requested.json'), deps());
    await ledger.complete({ channelId: 'news-1', incidentId: first.incidentId as string, outcome: 'succeeded', onAir: 'standby' });
    // recent[] full: the next entry (the alert's) makes the ledger trim it.
    const length = (await ledger.get('news-1')).recent.length;
    for (let i = length; i < RECENT_CAP; i++) await ledger.record('news-1', { kind: 'info', message: `filler ${i}` });
    const alert = sample('medialive-alert-standby-set.json');
    expect((await triage(alert, deps())).decision).toBe('record');
    expect((await ledger.get('news-1')).recent).toHaveLength(RECENT_CAP); // trimmed
    const again = await triage(alert, deps()); // EventBridge delivers at least once
    expect(again.reason).toMatch(/duplicate, already on the ledger/);
    expect(pages).toHaveLength(1);
  });

  it('on the slate, kids-1 (automatic) fails back at the first fresh primary, no dwell, and pages', async () => {
    const d0 = await triage(sample('ops-drill-requested.json'), deps());
    // The finish step records a slate as a failed incident with the slate on the air.
    await ledger.complete({ channelId: 'kids-1', incidentId: d0.incidentId as string, outcome: 'failed', onAir: 'slate' });
    const d = await triage(sample('probe-manifest-fresh.json'), deps());
    expect(d.decision).toBe('failback');
    expect(starts().at(-1)?.stateMachineArn).toBe(FAILBACK);
    expect(JSON.parse(starts().at(-1)?.input ?? '{}')).toMatchObject({ action: 'failback', channelId: 'kids-1' });
    expect(pages).toEqual([expect.stringMatching(/^PAGE flatline kids-1: primary fresh again; on the slate; failback automatic/)]);
  });

  it('on the slate, a standby fresh again starts a failover to it at once, whatever the failback policy, with a short standby deadline, and pages', async () => {
    const first = await triage(sample('ops-failover-requested.json'), deps());
    await ledger.complete({ channelId: 'news-1', incidentId: first.incidentId as string, outcome: 'failed', onAir: 'slate' });
    const fresh = sample('probe-manifest-fresh.json');
    Object.assign(fresh.detail, { channelId: 'news-1', path: 'standby', diagnosis: 'standby origin fresh again' });
    const d = await triage(fresh, deps());
    expect(d.decision).toBe('failover');
    expect(starts()).toHaveLength(2);
    expect(starts().at(-1)?.stateMachineArn).toBe(FAILOVER);
    expect(JSON.parse(starts().at(-1)?.input ?? '{}')).toMatchObject({ action: 'failover', channelId: 'news-1', timing: { standbyReadySeconds: 30 } });
    expect(pages).toEqual([expect.stringMatching(/^PAGE flatline news-1: standby fresh again; on the slate; failing over to it/)]);
  });

  it('on the slate, news-1 (manual) is paged once that the primary is fresh again, and nothing starts', async () => {
    const first = await triage(sample('ops-failover-requested.json'), deps());
    await ledger.complete({ channelId: 'news-1', incidentId: first.incidentId as string, outcome: 'failed', onAir: 'slate' });
    const fresh = sample('probe-manifest-fresh.json');
    fresh.detail.channelId = 'news-1';
    expect((await triage(fresh, deps())).decision).toBe('record');
    expect((await triage({ ...fresh, id: 'the-alarm-ok-a-tick-later' }, deps())).decision).toBe('record');
    expect(starts()).toHaveLength(1);
    expect(pages).toEqual([expect.stringMatching(/^PAGE flatline news-1: primary fresh again; on the slate; failback needs an operator/)]);
  });

  it('kids-1 fails back automatically once the primary has been fresh for minDwellSeconds', async () => {
    const t0 = Date.now();
    let now = t0;
    const clocked = deps({ now: () => now });
    const clockedLedger = new Ledger({ tableName: sandbox.dynamodb.tableName, client: doc, now: () => now });
    const d0 = await triage(sample('ops-drill-requested.json', new Date(now)), { ...clocked, ledger: clockedLedger });
    await clockedLedger.complete({ channelId: 'kids-1', incidentId: d0.incidentId as string, outcome: 'succeeded', onAir: 'standby' });

    now += 30_000;
    const early = await triage(sample('probe-manifest-fresh.json', new Date(now)), { ...clocked, ledger: clockedLedger });
    expect(early.decision).toBe('record');
    expect((await clockedLedger.get('kids-1')).primaryFreshSince).toBe(now);

    now += 120_000; // fresh for the dwell (120 s), and 150 s after the failover
    const later = await triage(sample('cloudwatch-alarm-manifest-age-ok.json', new Date(now)), { ...clocked, ledger: clockedLedger });
    expect(later.decision).toBe('failback');
    expect(starts().at(-1)?.stateMachineArn).toBe(FAILBACK);
    expect(JSON.parse(starts().at(-1)?.input ?? '{}')).toMatchObject({ action: 'failback', channelId: 'kids-1' });
  });
});

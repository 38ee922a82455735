// Triage inside the AWS sandbox: events go through the EventBridge rules READ FROM serverless.yml to the
// real triage handler (env from the sandbox, registry re-pointed at a loopback live origin); executions run
// the real ASL. This is the deployed wiring, end to end, offline.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { Ledger } from '../../functions/domain/ledger/ledger.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import { OPERATOR_REASON_MAX_BYTES, REQUESTED_BY_MAX_BYTES } from '../../functions/domain/triage/schemas.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';
import { LiveOrigin } from '../../sandbox/testkit/live-origin.js';
import { registryFor } from '../../sandbox/testkit/state-machine-testbed.js';

const LEDGER_TABLE = 'flatline-triage-sandbox';
let sandbox: AwsSandbox;
let origin: LiveOrigin;
let registry: Registry;
let ledger: Ledger;
let dir: string;

type Sample = { source: string; 'detail-type': string; detail: Record<string, unknown>; resources?: string[]; time?: string };
const sample = (file: string): Sample => JSON.parse(readFileSync(`events/${file}`, 'utf8')) as Sample;
/** Region and resources as AWS sends them (the MediaLive rule matches on the channel ARNs in resources). */
const put = (e: Sample & { region?: string }) =>
  sandbox.events.put({ source: e.source, detailType: e['detail-type'], detail: e.detail, resources: e.resources ?? [], ...(e.region ? { region: e.region } : {}), time: new Date() });
const executions = () => sandbox.sfn.executions();
const deliveries = () => sandbox.events.service.deliveries.filter((d) => d.functionKey === 'triage');

beforeAll(async () => {
  origin = new LiveOrigin({ segmentS: 1, renditions: ['720p'] });
  await origin.start();
  registry = registryFor(origin);
  dir = mkdtempSync(join(tmpdir(), 'flatline-triage-'));
  const registryPath = join(dir, 'registry.yml');
  writeFileSync(registryPath, stringify(registry));
  sandbox = await startAwsSandbox({
    registry,
    registryPath,
    ledgerTable: LEDGER_TABLE,
    stage: 'example',
    medialive: { publishEvents: false },
    sfn: { timeScale: 0.001 },
  });
  sandbox.applyEnv();
  ledger = new Ledger({ tableName: LEDGER_TABLE, client: awsClients('tool').dynamoDoc() });
});
afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 100)); // let a fire-and-forget recent[] trim land
  sandbox?.restoreEnv();
  await sandbox?.stop();
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  sandbox.clearCalls();
});

describe('triage in the AWS sandbox (rules from serverless.yml)', () => {
  it('malformed and unknown-channel events reach triage, are rejected to the dead letters, and change nothing', async () => {
    const before = sandbox.deadLetters.length;
    put(sample('malformed/unknown-channel-ops.json'));
    put(sample('malformed/wrong-types.json'));
    // The MediaLive rule lists no channel (account and regions only): triage is what rejects a channel of
    // our account that the registry does not know, with the reason.
    put(sample('malformed/unknown-channel-medialive.json'));
    await sandbox.settle();
    const dead = sandbox.deadLetters.slice(before);
    expect(dead.map((d) => d.error.name).sort()).toEqual(['Flatline.InvalidInput', 'Flatline.UnknownChannel', 'Flatline.UnknownChannel']);
    const medialive = dead.find((d) => d.event.source === 'aws.medialive' && d.error.name === 'Flatline.UnknownChannel');
    expect(medialive?.rule).toMatch(/triage/);
    expect(medialive?.error.message).toBe('unknown channel "medialive:us-east-1:999999": not in the registry');
    expect(sandbox.mutatingCalls()).toEqual([]);
    expect(executions()).toHaveLength(0);
  });

  it('a MediaLive event whose channel ARN or resources do not match the registry exactly is rejected to the dead letters', async () => {
    const legit = sample('medialive-state-stopped.json'); // sports-1 primary: an outage candidate if accepted
    const arn = legit.detail.channel_arn as string;
    expect(arn).toBe('arn:aws:medialive:us-east-1:123456789012:channel:2345678');
    const variant = (channelArn: string, resources = legit.resources) => ({ ...legit, resources, detail: { ...legit.detail, channel_arn: channelArn } });
    const newsPrimary = 'arn:aws:medialive:us-east-1:123456789012:channel:1234567';
    const before = sandbox.deadLetters.length;
    // The rule matches on resources (the registry's ARNs), so each of these reaches triage.
    put(variant(arn.replace('arn:aws:', 'arn:aws-cn:'))); // another partition
    put(variant(arn.replace(':123456789012:', ':999999999999:'))); // another account
    put(variant(arn, [newsPrimary])); // resources name news-1, the detail names sports-1
    put(variant(newsPrimary, [newsPrimary, arn])); // resources name a second channel
    await sandbox.settle();
    const dead = sandbox.deadLetters.slice(before);
    expect(dead).toHaveLength(4);
    expect(dead.every((d) => d.error.name === 'Flatline.InvalidInput')).toBe(true);
    const reasons = dead.map((d) => d.error.message).sort();
    expect(reasons).toEqual([
      expect.stringContaining(`channel_arn arn:aws-cn:medialive:us-east-1:123456789012:channel:2345678 is not the registry's ${arn} (sports-1 primary)`),
      expect.stringContaining(`channel_arn arn:aws:medialive:us-east-1:999999999999:channel:2345678 is not the registry's ${arn} (sports-1 primary)`),
      expect.stringContaining(`resources [${newsPrimary}] do not name detail.channel_arn ${arn}`),
      expect.stringContaining(`resources name another MediaLive channel than detail.channel_arn ${newsPrimary}: ${arn}`),
    ].sort());
    expect(sandbox.mutatingCalls()).toEqual([]);
    expect(executions()).toHaveLength(0);
  });

  it('a single-pipeline alert is delivered to triage and starts nothing', async () => {
    const before = deliveries().length;
    put(sample('medialive-alert-pipeline0-set.json'));
    await sandbox.settle();
    const delivered = deliveries().slice(before);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ ok: true, result: { decision: 'record' } });
    expect(executions()).toHaveLength(0);
    expect(sandbox.mutatingCalls()).toEqual([]);
  });

  it('50 concurrent deliveries of one alarm => one lock holder, one failover execution, the channel on the standby', async () => {
    // The primary origin froze (the confirmation sees it); the loopback edge URL is the origin itself, left
    // fresh so that the execution's edge verification passes once the route points at the standby.
    origin.set('sports-1/primary', { stallAt: Date.now() - 30_000 });
    const alarm = sample('cloudwatch-alarm-manifest-age-edge.json'); // sports-1 (cold standby)
    const state = alarm.detail.state as { timestamp: string };
    state.timestamp = new Date().toISOString().replace('Z', '+0000');
    const before = deliveries().length;
    for (let i = 0; i < 50; i++) put(alarm);
    await sandbox.settle();
    const delivered = deliveries().slice(before);
    expect(delivered).toHaveLength(50);
    const decisions = delivered.map((d) => (d.result as { decision: string }).decision);
    expect(decisions.every((d) => d === 'failover' || d === 'coalesced')).toBe(true);
    const failovers = executions().filter((e) => e.stateMachineArn.endsWith('-failover'));
    expect(failovers).toHaveLength(1);
    expect(failovers[0]?.status).toBe('SUCCEEDED');
    const item = await ledger.get('sports-1');
    expect(item).toMatchObject({ onAir: 'standby', phase: 'on-standby', executionArn: failovers[0]?.executionArn });
    expect(sandbox.medialive.side('sports-1', 'standby').state).toBe('RUNNING');
  });
});

describe("an operator's request, end to end (rule, real triage handler, real ASL and step handlers)", () => {
  it('the ledger and the notification both name who asked and why', async () => {
    const request = sample('ops-failover-requested.json');
    expect(request.detail).toMatchObject({ channelId: 'news-1', requestedBy: 'ops@example.com', reason: 'primary encoder maintenance' });
    const before = executions().length;
    const sent = sandbox.sns.messages.length;
    put(request);
    await sandbox.settle();
    const started = executions().slice(before);
    expect(started.map((e) => e.status)).toEqual(['SUCCEEDED']);
    const notes = sandbox.sns.messages.slice(sent).filter((m) => m.attributes.channelId === 'news-1');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message.split('\n')).toContain('requested by ops@example.com: primary encoder maintenance');
    const item = await ledger.get('news-1');
    expect(item.recent.map((e) => e.message)).toContain('requested by ops@example.com: primary encoder maintenance');
  });
});

describe('size limits, end to end (rules from serverless.yml, the real handler, the sandbox Step Functions)', () => {
  const ops = (detail: Record<string, unknown>): Sample => ({ source: 'flatline.ops', 'detail-type': 'Failover Requested', detail: { channelId: 'kids-1', mode: 'plan', ...detail } });

  it('an operator reason of exactly the maximum starts one execution whose input holds it once', async () => {
    const reason = `${'é'.repeat(OPERATOR_REASON_MAX_BYTES / 2 - 1)}ok`; // multi-byte: the bound is in UTF-8 bytes
    expect(Buffer.byteLength(reason)).toBe(OPERATOR_REASON_MAX_BYTES);
    const requestedBy = 'o'.repeat(REQUESTED_BY_MAX_BYTES);
    const before = executions().length;
    put(ops({ reason, requestedBy }));
    await sandbox.settle();
    const started = executions().slice(before);
    expect(started).toHaveLength(1);
    const input = started[0]!.input;
    expect(Buffer.byteLength(input)).toBeLessThan(256 * 1024); // Step Functions' execution input limit
    expect(input.split(reason)).toHaveLength(2); // the reason once, not copied into a second field
    expect(JSON.parse(input)).toMatchObject({ channelId: 'kids-1', action: 'failover', mode: 'plan', signal: { detail: { reason, requestedBy } } });
    expect(started[0]!.status).toBe('SUCCEEDED');
  });

  it('one byte more is rejected to the dead letters, naming the field', async () => {
    const before = executions().length;
    const dead = sandbox.deadLetters.length;
    put(ops({ reason: 'x'.repeat(OPERATOR_REASON_MAX_BYTES + 1) }));
    put(ops({ reason: 'drill', requestedBy: 'o'.repeat(REQUESTED_BY_MAX_BYTES + 1) }));
    await sandbox.settle();
    const reasons = sandbox.deadLetters.slice(dead).map((d) => `${d.error.name}: ${d.error.message}`);
    expect(reasons.sort()).toEqual([
      expect.stringMatching(new RegExp(`^Flatline.InvalidInput: .*detail\\.reason: at most ${OPERATOR_REASON_MAX_BYTES} bytes \\(UTF-8\\), got ${OPERATOR_REASON_MAX_BYTES + 1}`)),
      expect.stringMatching(new RegExp(`^Flatline.InvalidInput: .*detail\\.requestedBy: at most ${REQUESTED_BY_MAX_BYTES} bytes \\(UTF-8\\), got ${REQUESTED_BY_MAX_BYTES + 1}`)),
    ]);
    expect(executions()).toHaveLength(before);
  });
});

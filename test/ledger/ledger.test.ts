// The ledger adapter against a real DynamoDB wire endpoint: the sandbox's dynalite, with the table the sandbox
// creates from ledgerTableInput (the deployed key schema).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RoutingSnapshot } from '../../functions/domain/contracts.js';
import { Ledger, LedgerConflictError } from '../../functions/domain/ledger/ledger.js';
import { DEDUPE_CAP, MESSAGE_MAX_BYTES, RECENT_CAP, RECENT_MAX_BYTES, lockHeld } from '../../functions/domain/ledger/rules.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';

let sandbox: AwsSandbox;
let doc: DynamoDBDocumentClient;
let clock = 0;
let ledger: Ledger;
let channelSeq = 0;
let channelId = '';

const snapshot: RoutingSnapshot = {
  edge: null,
  route: null,
  slate: false,
  originOrder: ['mp-use1-news-1', 'mp-usw2-news-1'],
  standbyState: 'RUNNING',
  takenAt: '2025-01-01T00:00:00.000Z',
};

beforeAll(async () => {
  sandbox = await startAwsSandbox({ serverlessPath: false });
  doc = DynamoDBDocumentClient.from(new DynamoDBClient(sandbox.clientConfig({ dynamodb: true })), { marshallOptions: { removeUndefinedValues: true } });
});
afterAll(async () => {
  doc.destroy();
  await sandbox.stop();
});
beforeEach(() => {
  clock = Date.parse('2025-01-01T00:00:00Z');
  ledger = new Ledger({ tableName: sandbox.dynamodb.tableName, client: doc, now: () => clock });
  channelId = `ch-${++channelSeq}`; // a fresh item per test: tests never see each other's state
});

describe('Ledger', () => {
  it('returns the default item for a channel never seen', async () => {
    expect(await ledger.get(channelId)).toEqual({ channelId, onAir: 'primary', phase: 'steady', version: 0, recent: [] });
  });

  it('acquire takes the lock with an expiry and refuses a second incident while it is held', async () => {
    const first = await ledger.acquire({ channelId, incidentId: 'inc-a', action: 'failover', ttlMs: 60_000 });
    expect(first.acquired).toBe(true);
    expect(first.item).toMatchObject({ phase: 'failing-over', incidentId: 'inc-a', lockExpiresAt: clock + 60_000, version: 1, onAir: 'primary' });
    expect(lockHeld(first.item, clock)).toBe(true);

    clock += 59_000;
    const second = await ledger.acquire({ channelId, incidentId: 'inc-b', action: 'failover', ttlMs: 60_000 });
    expect(second.acquired).toBe(false);
    if (!second.acquired) expect(second.reason).toMatch(/locked by incident inc-a/);
    expect(second.item.incidentId).toBe('inc-a');

    const again = await ledger.acquire({ channelId, incidentId: 'inc-a', action: 'failover', ttlMs: 60_000 });
    expect(again).toMatchObject({ acquired: false, reason: 'held by this incident' });
  });

  it('an expired lock can be taken over by another incident (expiry compared in the write condition)', async () => {
    await ledger.acquire({ channelId, incidentId: 'inc-a', action: 'failover', ttlMs: 1_000 });
    clock += 1_000;
    const takeover = await ledger.acquire({ channelId, incidentId: 'inc-b', action: 'failover', ttlMs: 1_000 });
    expect(takeover.acquired).toBe(true);
    expect(takeover.item).toMatchObject({ incidentId: 'inc-b', version: 2 });
    expect(takeover.item.executionArn).toBeUndefined();
  });

  it('expectVersion refuses when the item changed since the decision was made', async () => {
    await ledger.acquire({ channelId, incidentId: 'inc-a', action: 'failover', ttlMs: 1_000 });
    await ledger.complete({ channelId, incidentId: 'inc-a', outcome: 'failed', onAir: 'primary' });
    const stale = await ledger.acquire({ channelId, incidentId: 'inc-b', action: 'failover', ttlMs: 1_000, expectVersion: 0 });
    expect(stale.acquired).toBe(false);
    if (!stale.acquired) expect(stale.reason).toMatch(/changed since version 0/);
    const current = await ledger.acquire({ channelId, incidentId: 'inc-b', action: 'failover', ttlMs: 1_000, expectVersion: 2 });
    expect(current.acquired).toBe(true);
  });

  it('attachExecution and saveSnapshot belong to the lock holder', async () => {
    await ledger.acquire({ channelId, incidentId: 'inc-a', action: 'failover', ttlMs: 60_000 });
    await ledger.attachExecution(channelId, 'inc-a', 'arn:exec:a');
    await ledger.attachExecution(channelId, 'inc-other', 'arn:exec:other'); // not the holder: no-op
    await ledger.saveSnapshot(channelId, 'inc-a', snapshot);
    await expect(ledger.saveSnapshot(channelId, 'inc-other', snapshot)).rejects.toBeInstanceOf(LedgerConflictError);
    const item = await ledger.get(channelId);
    expect(item).toMatchObject({ executionArn: 'arn:exec:a', snapshot, incidentId: 'inc-a' });
  });

  it('complete releases the lock, moves on air and is idempotent', async () => {
    await ledger.markPrimaryFresh(channelId, clock - 60_000);
    await ledger.acquire({ channelId, incidentId: 'inc-a', action: 'failover', ttlMs: 60_000 });
    expect((await ledger.get(channelId)).primaryFreshSince).toBeUndefined(); // failing over: the primary is bad
    await ledger.markPrimaryFresh(channelId, clock + 5_000); // ...and came back while the failover ran
    clock += 10_000;
    const done = await ledger.complete({ channelId, incidentId: 'inc-a', outcome: 'succeeded', onAir: 'standby' });
    expect(done).toMatchObject({ phase: 'on-standby', onAir: 'standby', lastTransitionAt: clock, incidentId: 'inc-a' });
    expect(done.lockExpiresAt).toBeUndefined();
    expect(done.primaryFreshSince).toBe(clock - 5_000);
    expect(lockHeld(done, clock)).toBe(false);
    expect(done.recent.at(-1)).toMatchObject({ kind: 'incident-succeeded', incidentId: 'inc-a' });

    clock += 10_000;
    const twice = await ledger.complete({ channelId, incidentId: 'inc-a', outcome: 'failed', onAir: 'primary' });
    expect(twice).toEqual(done);

    const back = await ledger.acquire({ channelId, incidentId: 'inc-b', action: 'failback', ttlMs: 60_000 });
    expect(back.item).toMatchObject({ phase: 'failing-back', onAir: 'standby' });
    const rolledBack = await ledger.complete({ channelId, incidentId: 'inc-b', outcome: 'rolled-back', onAir: 'standby' });
    expect(rolledBack).toMatchObject({ phase: 'on-standby', onAir: 'standby', lastTransitionAt: done.lastTransitionAt });
  });

  it('complete after failback to primary returns to steady', async () => {
    await ledger.acquire({ channelId, incidentId: 'inc-a', action: 'failback', ttlMs: 60_000 });
    const done = await ledger.complete({ channelId, incidentId: 'inc-a', outcome: 'succeeded', onAir: 'primary' });
    expect(done).toMatchObject({ phase: 'steady', onAir: 'primary' });
  });

  it('record appends to recent[] (creating the item) and caps it', async () => {
    await ledger.record(channelId, { kind: 'degraded', message: 'pipeline 0 alert', incidentId: 'inc-x' });
    const item = await ledger.get(channelId);
    expect(item).toMatchObject({ onAir: 'primary', phase: 'steady', version: 0 });
    expect(item.recent).toEqual([{ at: new Date(clock).toISOString(), kind: 'degraded', message: 'pipeline 0 alert', incidentId: 'inc-x' }]);

    for (let i = 0; i < RECENT_CAP + 5; i++) await ledger.record(channelId, { kind: 'info', message: `m${i}` });
    const capped = await ledger.get(channelId);
    expect(capped.recent).toHaveLength(RECENT_CAP);
    expect(capped.recent.at(-1)?.message).toBe(`m${RECENT_CAP + 4}`);
    expect(capped.recent[0]?.message).toBe('m5');
  });

  it('bounds recent[] in bytes: a long message is cut to MESSAGE_MAX_BYTES, the item stays far below 400 KB', async () => {
    // What a finish step may record: a Step Functions error cause can be 32 KB; 100 KB here.
    const huge = `${'é'.repeat(50_000)}${'x'.repeat(1000)}`;
    for (let i = 0; i < RECENT_CAP + 10; i++) await ledger.record(channelId, { kind: 'failover-failed', message: `${i} ${huge}`, incidentId: `inc-${i}` });
    const item = await ledger.get(channelId);
    expect(item.recent).toHaveLength(RECENT_CAP);
    for (const e of item.recent) {
      expect(Buffer.byteLength(e.message)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
      expect(e.message.endsWith('…')).toBe(true);
      expect(e.message).not.toContain('\uFFFD'); // cut on a character boundary
    }
    expect(item.recent.at(-1)?.message.startsWith(`${RECENT_CAP + 9} éé`)).toBe(true);
    // The stored item, as DynamoDB holds it (JSON overstates its size): recent[] within its budget, the
    // whole item far below DynamoDB's 400 KB item limit.
    const raw = (await doc.send(new GetCommand({ TableName: sandbox.dynamodb.tableName, Key: { channelId } }))).Item ?? {};
    expect(Buffer.byteLength(JSON.stringify(raw.recent))).toBeLessThanOrEqual(RECENT_MAX_BYTES);
    expect(RECENT_MAX_BYTES).toBeLessThanOrEqual(160 * 1024);
    expect(Buffer.byteLength(JSON.stringify(raw, (_k, v: unknown) => (v instanceof Set ? [...v] : v)))).toBeLessThan(200 * 1024);
  });

  it('records an entry of an incident once per kind, however many concurrent duplicates race', async () => {
    const channelId = 'dedupe-1';
    const writes = await Promise.all(Array.from({ length: 30 }, () => ledger.record(channelId, { kind: 'coalesced', message: 'dup', incidentId: 'inc-1' })));
    expect(writes.filter(Boolean)).toHaveLength(1);
    expect(await ledger.record(channelId, { kind: 'failover-succeeded', message: 'done', incidentId: 'inc-1' })).toBe(true);
    expect(await ledger.record(channelId, { kind: 'coalesced', message: 'other incident', incidentId: 'inc-2' })).toBe(true);
    expect(await ledger.record(channelId, { kind: 'info', message: 'no incident: never deduplicated' })).toBe(true);
    expect(await ledger.record(channelId, { kind: 'info', message: 'no incident: never deduplicated' })).toBe(true);
    const item = await ledger.get(channelId);
    expect(item.recent.map((e) => `${e.kind}/${e.incidentId ?? '-'}`)).toEqual(['coalesced/inc-1', 'failover-succeeded/inc-1', 'coalesced/inc-2', 'info/-', 'info/-']);
    expect(item).not.toHaveProperty('dedupe');
  });

  it('a trim of recent[] keeps the dedupe keys: a redelivery of the newest entry is still refused', async () => {
    for (let i = 0; i < RECENT_CAP; i++) await ledger.record(channelId, { kind: 'info', message: `m${i}` });
    expect(await ledger.record(channelId, { kind: 'pipeline-alert', message: 'standby alert', incidentId: 'inc-new' })).toBe(true);
    expect((await ledger.get(channelId)).recent).toHaveLength(RECENT_CAP); // the append above was trimmed
    expect(await ledger.record(channelId, { kind: 'pipeline-alert', message: 'standby alert', incidentId: 'inc-new' })).toBe(false);
    expect((await ledger.get(channelId)).recent.filter((e) => e.incidentId === 'inc-new')).toHaveLength(1);
  });

  it('dedupe keys are bounded: past DEDUPE_CAP the oldest are forgotten, the newest still refused', async () => {
    for (let i = 0; i < DEDUPE_CAP + 3; i++) expect(await ledger.record(channelId, { kind: 'coalesced', message: 'x', incidentId: `inc-${i}` })).toBe(true);
    const raw = (await doc.send(new GetCommand({ TableName: sandbox.dynamodb.tableName, Key: { channelId } }))).Item ?? {};
    expect(raw.dedupe).toHaveLength(DEDUPE_CAP);
    expect(await ledger.record(channelId, { kind: 'coalesced', message: 'x', incidentId: `inc-${DEDUPE_CAP + 2}` })).toBe(false);
    expect(await ledger.record(channelId, { kind: 'coalesced', message: 'x', incidentId: 'inc-3' })).toBe(false);
    expect(await ledger.record(channelId, { kind: 'coalesced', message: 'x', incidentId: 'inc-0' })).toBe(true); // the oldest, forgotten
  });

  it('record does not bump the version a pending decision is based on', async () => {
    await ledger.record(channelId, { kind: 'info', message: 'x' });
    const r = await ledger.acquire({ channelId, incidentId: 'inc-a', action: 'failover', ttlMs: 1_000, expectVersion: 0 });
    expect(r.acquired).toBe(true);
  });

  it('markPrimaryFresh keeps the first fresh time and null clears it', async () => {
    await ledger.markPrimaryFresh(channelId, null); // absent item: no-op
    expect(await ledger.get(channelId)).toMatchObject({ version: 0 });
    await ledger.markPrimaryFresh(channelId, 1_000);
    await ledger.markPrimaryFresh(channelId, 2_000);
    expect((await ledger.get(channelId)).primaryFreshSince).toBe(1_000);
    await ledger.markPrimaryFresh(channelId, null);
    expect((await ledger.get(channelId)).primaryFreshSince).toBeUndefined();
  });

  it('tracks the alerts set per pipeline, concurrently and without touching the version', async () => {
    expect(await ledger.setPipelineAlert(channelId, '0', 'a1', true)).toEqual({ '0': ['a1'], '1': [] });
    await Promise.all([ledger.setPipelineAlert(channelId, '1', 'b1', true), ledger.setPipelineAlert(channelId, '1', 'b2', true)]);
    expect(await ledger.setPipelineAlert(channelId, '0', 'a2', true)).toEqual({ '0': ['a1', 'a2'], '1': ['b1', 'b2'] });
    await ledger.setPipelineAlert(channelId, '0', 'a1', false);
    expect(await ledger.setPipelineAlert(channelId, '0', 'a2', false)).toEqual({ '0': [], '1': ['b1', 'b2'] });
    expect(await ledger.get(channelId)).toMatchObject({ version: 0, phase: 'steady' });
    await ledger.clearPipelineAlerts(channelId);
    expect(await ledger.setPipelineAlert(channelId, '0', 'x', false)).toEqual({ '0': [], '1': [] });
  });

  it('50 concurrent acquire calls for one channel => exactly one holder', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ledger.acquire({ channelId, incidentId: `inc-${i}`, action: 'failover', ttlMs: 60_000 })),
    );
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const item = await ledger.get(channelId);
    expect(item.incidentId).toBe(winners[0]?.item.incidentId);
    expect(item.version).toBe(1);
    for (const r of results.filter((x) => !x.acquired)) expect(r.item.incidentId).toBe(item.incidentId);
  });
});

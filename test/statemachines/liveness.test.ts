// Liveness of an incident under real failures, through the REAL ASL (aws-local-stepfunctions) with the REAL
// step handlers against the AWS sandbox: a lock taken over mid-run, the durable path failing during a real
// outage, an event delivered late.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { edgeKey, edgeValueString, storedEdgeState } from '../../functions/domain/routing-keys.js';
import { LEDGER_TABLE, run, startTestbed, TOPIC_ARN, type Testbed } from '../../sandbox/testkit/state-machine-testbed.js';

let bed: Testbed;
beforeEach(async () => {
  bed = await startTestbed();
});
afterEach(async () => {
  await bed.stop();
});

/** The route viewers get from the KVS (edge:<id>; absent or without `o` = primary). */
const route = (id: string) => storedEdgeState(bed.kvs(id)[edgeKey(id)]).route;
const messages = () => bed.sandbox.sns.messages.filter((m) => m.topicArn === TOPIC_ARN);

/** Rewrites the lock fields of a channel's ledger item, as an expired or re-taken lock leaves them. */
async function setLock(channelId: string, fields: Record<string, unknown>): Promise<void> {
  const names = Object.keys(fields);
  await awsClients('tool').dynamoDoc().send(
    new UpdateCommand({
      TableName: LEDGER_TABLE,
      Key: { channelId },
      UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
      ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, fields[n]])),
    }),
  );
}

/** Resolves once `check` holds (the execution runs concurrently; no time is asserted). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the lock outlives its execution; a step that finds it gone stops and reports', () => {
  it('lock taken over mid-failover: the next mutating step stops before it acts, nothing recorded as succeeded, the other incident keeps the ledger, a page, Flatline.LockLost', async () => {
    bed.freeze('news-1', 'primary');
    bed.freeze('news-1', 'standby'); // holds the execution in its standby-fresh loop
    const running = run(bed, 'failover', 'news-1');
    await until(async () => (await bed.ledger.get('news-1')).snapshot !== undefined);
    // Another incident holds the channel now (as when a lock expired under a running execution and was re-taken).
    await awsClients('tool').dynamoDoc().send(
      new UpdateCommand({
        TableName: LEDGER_TABLE,
        Key: { channelId: 'news-1' },
        UpdateExpression: 'SET incidentId = :other, phase = :phase, lockExpiresAt = :later, onAir = :onAir',
        ExpressionAttributeValues: { ':other': 'other-incident', ':phase': 'failing-back', ':later': Date.now() + 3_600_000, ':onAir': 'standby' },
      }),
    );
    bed.freeze('news-1', 'standby', false);
    const result = await running;

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.LockLost');
    // Fenced: the next mutating step (the standby check, or the route once the standby is fresh) found the lock
    // gone and changed nothing; no rollback, no finish ran after it.
    expect(result.tasks.at(-1)).toBe('NotifyLockLost');
    expect(['EnsureStandbyRunning', 'RouteEdgeToStandby']).toContain(result.tasks.at(-2));
    expect(result.tasks).not.toContain('FinishOnStandby');
    expect(route('news-1')).toBe('primary');
    expect(bed.originOrder('news-1')).toEqual(bed.primaryFirst('news-1'));
    expect(bed.calls('PutKey')).toHaveLength(0);
    expect(bed.calls('UpdateDistribution')).toHaveLength(0);
    const item = await bed.ledger.get('news-1');
    expect(item).toMatchObject({ incidentId: 'other-incident', phase: 'failing-back' });
    expect(item.lastTransitionAt).toBeUndefined();
    expect(item.recent.map((e) => e.kind)).not.toContain('failover-succeeded');
    expect(item.recent.map((e) => e.kind)).not.toContain('incident-succeeded');
    expect(messages()).toHaveLength(1);
    expect(messages()[0]!.attributes.severity).toBe('page');
    expect(messages()[0]!.subject).toContain('lock-lost');
    expect(messages()[0]!.message).toContain('other-incident');
  });

  it('lock expired mid-failover (nobody took it): the polling start of the cold standby stops, nothing routed, Flatline.LockLost', async () => {
    const standby = bed.channel('sports-1').standby;
    bed.sandbox.medialive.channel(standby.region, standby.channelId).startDelayMs = 60_000; // STARTING until the lock is gone
    const running = run(bed, 'failover', 'sports-1');
    await until(async () => bed.calls('StartChannel').length > 0);
    await setLock('sports-1', { lockExpiresAt: Date.now() });
    const result = await running;

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.LockLost');
    expect(result.tasks.slice(-2)).toEqual(['EnsureStandbyRunning', 'NotifyLockLost']);
    expect(route('sports-1')).toBe('primary');
    expect(bed.calls('StartChannel')).toHaveLength(1);
    expect(bed.calls('UpdateDistribution')).toHaveLength(0);
    expect(messages().at(-1)?.subject).toContain('lock-lost');
  });

  it('lock taken over mid-failback: the cold standby it was about to stop keeps running, nothing rolled back, Flatline.LockLost', async () => {
    expect((await run(bed, 'failover', 'sports-1')).status).toBe('SUCCEEDED');
    bed.freeze('sports-1', 'edge'); // holds the failback in its edge check, after it routed back
    const running = run(bed, 'failback', 'sports-1', { timing: { edgeVerifyAttempts: 10_000 } });
    await until(async () => route('sports-1') === 'primary');
    await setLock('sports-1', { incidentId: 'other-incident', phase: 'failing-over', lockExpiresAt: Date.now() + 3_600_000 });
    bed.freeze('sports-1', 'edge', false);
    const result = await running;

    expect(result.error).toBe('Flatline.LockLost');
    // Whichever mutating step came after the route (the origin group, the slate, or the standby's stop after
    // the edge check: the takeover races the execution) stopped there.
    expect(result.tasks.at(-1)).toBe('NotifyLockLost');
    expect(['ReorderOriginGroup', 'SlateOff', 'StopColdStandby']).toContain(result.tasks.at(-2));
    expect(result.tasks).not.toContain('FinishOnPrimary');
    expect(result.tasks).not.toContain('RollbackRoute');
    expect(bed.calls('StopChannel')).toHaveLength(0);
    const standby = bed.channel('sports-1').standby;
    expect(bed.sandbox.medialive.channel(standby.region, standby.channelId).state).toBe('RUNNING');
    expect(await bed.ledger.get('sports-1')).toMatchObject({ incidentId: 'other-incident' });
  });
});

describe("deadlines count from the incident's start on the control plane's clock", () => {
  it('an outage event delivered 11 minutes late: the cold standby still gets its full allowance to start', async () => {
    const standby = bed.channel('sports-1').standby;
    bed.sandbox.medialive.channel(standby.region, standby.channelId).startDelayMs = 150;
    bed.freeze('sports-1', 'primary');
    const requestedAt = new Date(Date.now() - 11 * 60_000).toISOString();
    const result = await run(bed, 'failover', 'sports-1', { requestedAt, timing: { standbyReadySeconds: 60 } });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.tasks).not.toContain('SlateOn');
    const deadline = Date.parse((result.output!.steps as { snapshot: { deadline: string } }).snapshot.deadline);
    expect(deadline).toBeGreaterThan(Date.parse(requestedAt) + 60_000);
    expect(route('sports-1')).toBe('standby');
    expect(messages()[0]!.attributes.severity).toBe('info');
  });
});

describe('rollback never routes viewers to a side known to be stale while the other is fresh', () => {
  const accessDenied = () =>
    bed.sandbox.faults.add({ service: 'cloudfront', operation: 'UpdateDistribution', kind: 'error', errorCode: 'AccessDenied', status: 403 });

  it('UpdateDistribution 403 during a real outage: viewers stay on the standby (KVS), the incident ends degraded, the page names what failed', async () => {
    bed.freeze('sports-1', 'primary');
    accessDenied();
    const result = await run(bed, 'failover', 'sports-1');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.AwsError');
    expect(result.tasks).not.toContain('RollbackRoute');
    expect(result.tasks.slice(-3)).toEqual(['CheckPrimaryBeforeRollback', 'FinishDegraded', 'NotifyDegraded']);
    expect(route('sports-1')).toBe('standby');
    expect(bed.originOrder('sports-1')).toEqual(bed.primaryFirst('sports-1')); // the durable path is what failed
    const item = await bed.ledger.get('sports-1');
    expect(item).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
    expect(item.lastTransitionAt).toBeDefined(); // viewers moved: the dwell starts
    expect(item.recent.at(-1)?.kind).toBe('incident-degraded');
    // The standby viewers are on keeps running.
    expect(bed.calls('StopChannel')).toHaveLength(0);
    expect(bed.sandbox.medialive.side('sports-1', 'standby').state).toBe('RUNNING');
    expect(messages()).toHaveLength(1);
    expect(messages()[0]!.attributes.severity).toBe('page');
    expect(messages()[0]!.subject).toContain('failover degraded, on air standby');
    expect(messages()[0]!.message).toContain('AccessDenied');
    expect(messages()[0]!.message).toContain('origin group');
    // Why the incident started, as on every other notification.
    expect(messages()[0]!.message.split('\n')).toContain('reason: test');
  });

  it('the same 403 with a fresh primary rolls back, and stops the cold standby the incident started once nobody is on it', async () => {
    accessDenied();
    const result = await run(bed, 'failover', 'sports-1');
    expect(result.status).toBe('FAILED');
    expect(result.tasks).toEqual(expect.arrayContaining(['CheckPrimaryBeforeRollback', 'RollbackRoute', 'StopStartedStandby', 'FinishRolledBack']));
    // Back on the primary, pinned (the snapshot's absent key was an older writer's primary route).
    expect(bed.kvs('sports-1')[edgeKey('sports-1')]).toBe(edgeValueString(bed.channel('sports-1'), { route: 'primary', slate: false }));
    expect(await bed.ledger.get('sports-1')).toMatchObject({ onAir: 'primary', phase: 'steady' });
    expect(bed.calls('StartChannel')).toHaveLength(1);
    expect(bed.calls('StopChannel')).toHaveLength(1);
    expect(['STOPPING', 'IDLE']).toContain(bed.sandbox.medialive.side('sports-1', 'standby').state);
  });

  it('a warm standby is never stopped by a rollback', async () => {
    accessDenied();
    const result = await run(bed, 'failover', 'news-1');
    expect(result.tasks).toContain('RollbackRoute');
    expect(bed.calls('StopChannel')).toHaveLength(0);
    expect(bed.sandbox.medialive.side('news-1', 'standby').state).toBe('RUNNING');
  });
});

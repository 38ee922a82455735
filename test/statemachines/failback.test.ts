// The REAL failback ASL against the AWS sandbox, starting from a real failover.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { edgeKey, edgeValueString, storedEdgeState } from '../../functions/domain/routing-keys.js';
import { run, startTestbed, TOPIC_ARN, type Testbed } from '../../sandbox/testkit/state-machine-testbed.js';

let bed: Testbed;
beforeEach(async () => {
  bed = await startTestbed();
});
afterEach(async () => {
  await bed.stop();
});


async function failedOver(id: string): Promise<void> {
  const result = await run(bed, 'failover', id);
  expect(result.status).toBe('SUCCEEDED');
  bed.sandbox.clearCalls();
}

describe('failback', () => {
  it('cold standby: routes back to the primary, removes the slate, stops the standby', async () => {
    await failedOver('sports-1');
    expect(bed.sandbox.medialive.side('sports-1', 'standby').state).toBe('RUNNING');
    const sports = bed.channel('sports-1');
    bed.sandbox.kvs.set(sports.edge.kvsArn, edgeKey('sports-1'), edgeValueString(sports, { route: 'standby', slate: true })!);
    const result = await run(bed, 'failback', 'sports-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(storedEdgeState(bed.kvs('sports-1')[edgeKey('sports-1')])).toEqual({ route: 'primary', slate: false });
    // The primary route is pinned in the value (the request's origin group, primary first): viewers leave the
    // standby within the KVS propagation, not when the reorder below has deployed.
    expect(bed.kvs('sports-1')[edgeKey('sports-1')]).toBe(`{"g":["${sports.primary.originId}","${sports.standby.originId}"]}`);
    expect(bed.originOrder('sports-1')).toEqual(bed.primaryFirst('sports-1'));
    expect(bed.calls('StopChannel')).toHaveLength(1);
    expect(['STOPPING', 'IDLE']).toContain(bed.sandbox.medialive.side('sports-1', 'standby').state);
    expect(await bed.ledger.get('sports-1')).toMatchObject({ onAir: 'primary', phase: 'steady' });
    const last = bed.sandbox.sns.messages.filter((m) => m.topicArn === TOPIC_ARN).at(-1)!;
    expect(last.subject).toContain('failback succeeded');
    // The snapshot and the look at the primary run side by side, then the route.
    expect(result.tasks.slice(0, 2).sort()).toEqual(['CheckPrimaryFresh', 'Snapshot']);
    expect(result.tasks[2]).toBe('RouteEdgeToPrimary');
  });

  it('the snapshot fails: nothing is changed (the look at the primary beside it only reads), finished failed', async () => {
    await failedOver('news-1');
    const before = { kvs: bed.kvs('news-1'), order: bed.originOrder('news-1') };
    const mutatingBefore = bed.sandbox.mutatingCalls().length;
    bed.sandbox.faults.add({ service: 'cloudfront-keyvaluestore', operation: 'GetKey', kind: 'error', errorCode: 'AccessDeniedException', status: 403 });
    const result = await run(bed, 'failback', 'news-1');
    expect(result.status).toBe('FAILED');
    expect(result.cause).toContain('AccessDenied');
    expect(result.tasks).not.toContain('RouteEdgeToPrimary');
    expect(result.tasks.slice(-2)).toEqual(['FinishFailed', 'NotifyFailed']);
    expect(bed.sandbox.mutatingCalls().slice(mutatingBefore).filter((c) => c.service !== 'sns')).toEqual([]);
    expect(bed.kvs('news-1')).toEqual(before.kvs);
    expect(bed.originOrder('news-1')).toEqual(before.order);
    expect(await bed.ledger.get('news-1')).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
  });

  it("an operator's request: the notification names who asked and why", async () => {
    await failedOver('news-1');
    const detail = { channelId: 'news-1', reason: 'primary healthy since 14:05', requestedBy: 'jane' };
    const result = await run(bed, 'failback', 'news-1', { signal: { kind: 'failback-requested', severity: 'info', at: new Date().toISOString(), source: 'flatline.ops', detail } });
    expect(result.status).toBe('SUCCEEDED');
    const last = bed.sandbox.sns.messages.filter((m) => m.topicArn === TOPIC_ARN).at(-1)!;
    expect(last.subject).toContain('failback succeeded');
    expect(last.message.split('\n')).toContain('requested by jane: primary healthy since 14:05');
  });

  it('warm standby: keeps the standby running', async () => {
    await failedOver('news-1');
    const result = await run(bed, 'failback', 'news-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(bed.calls('StopChannel')).toHaveLength(0);
    expect(bed.sandbox.medialive.side('news-1', 'standby').state).toBe('RUNNING');
    expect(bed.originOrder('news-1')).toEqual(bed.primaryFirst('news-1'));
  });

  it('refuses when the primary is not fresh: Flatline.PrimaryNotFresh, nothing changed', async () => {
    await failedOver('news-1');
    const before = { kvs: bed.kvs('news-1'), order: bed.originOrder('news-1') };
    bed.freeze('news-1', 'primary');
    const result = await run(bed, 'failback', 'news-1');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.PrimaryNotFresh');
    expect(result.cause).toContain('the primary is not fresh');
    expect(bed.sandbox.calls.filter((c) => c.mutating && c.service !== 'sns')).toEqual([]);
    expect({ kvs: bed.kvs('news-1'), order: bed.originOrder('news-1') }).toEqual(before);
    expect(await bed.ledger.get('news-1')).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
  });

  it('the standby on air is down and the primary is not fresh: slate on, ledger on the slate, paged', async () => {
    await failedOver('news-1');
    const order = bed.originOrder('news-1');
    bed.freeze('news-1', 'primary');
    const result = await run(bed, 'failback', 'news-1', { standbyDown: true });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.NothingHealthy');
    expect(result.cause).toContain('the primary is not fresh');
    // Only the slate changes: the route and the origin group stay as they were (nothing healthy to point at).
    expect(storedEdgeState(bed.kvs('news-1')[edgeKey('news-1')])).toEqual({ route: 'standby', slate: true });
    expect(bed.originOrder('news-1')).toEqual(order);
    expect(await bed.ledger.get('news-1')).toMatchObject({ onAir: 'slate' });
    const last = bed.sandbox.sns.messages.filter((m) => m.topicArn === TOPIC_ARN).at(-1)!;
    expect(last.subject).toMatch(/slate/i);
  });

  it('the standby on air is down and the primary is fresh: an ordinary failback', async () => {
    await failedOver('news-1');
    const result = await run(bed, 'failback', 'news-1', { standbyDown: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(storedEdgeState(bed.kvs('news-1')[edgeKey('news-1')])).toEqual({ route: 'primary', slate: false });
    expect(await bed.ledger.get('news-1')).toMatchObject({ onAir: 'primary', phase: 'steady' });
  });

  it('edge never fresh after the failback: rolls back to the standby routing', async () => {
    await failedOver('news-1');
    const before = { kvs: bed.kvs('news-1'), order: bed.originOrder('news-1') };
    bed.freeze('news-1', 'edge');
    const result = await run(bed, 'failback', 'news-1', { timing: { edgeVerifyAttempts: 2 } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.EdgeNotFresh');
    expect({ kvs: bed.kvs('news-1'), order: bed.originOrder('news-1') }).toEqual(before);
    expect(await bed.ledger.get('news-1')).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
  });

  it('a step fails after the route went back while the standby is stale: no rollback onto it, degraded on the primary, a page', async () => {
    await failedOver('news-1');
    bed.freeze('news-1', 'standby');
    bed.sandbox.faults.add({ service: 'cloudfront', operation: 'UpdateDistribution', kind: 'error', errorCode: 'AccessDenied', status: 403 });
    const result = await run(bed, 'failback', 'news-1');
    expect(result.status).toBe('FAILED');
    expect(result.tasks).toContain('CheckStandbyBeforeRollback');
    expect(result.tasks).not.toContain('RollbackRoute');
    expect(result.tasks.slice(-2)).toEqual(['FinishDegraded', 'NotifyDegraded']);
    expect(storedEdgeState(bed.kvs('news-1')[edgeKey('news-1')]).route).toBe('primary');
    expect(await bed.ledger.get('news-1')).toMatchObject({ onAir: 'primary', phase: 'steady' });
    const page = bed.sandbox.sns.messages.at(-1)!;
    expect(page.subject).toContain('PAGE');
    expect(page.subject).toContain('failback degraded');
    expect(page.message).toContain('viewers stay on the primary');
    expect(page.message).toContain('AccessDenied');
  });

  it('the same failure with a fresh standby rolls back onto it', async () => {
    await failedOver('news-1');
    const before = { kvs: bed.kvs('news-1'), order: bed.originOrder('news-1') };
    bed.sandbox.faults.add({ service: 'cloudfront', operation: 'UpdateDistribution', kind: 'error', errorCode: 'AccessDenied', status: 403 });
    const result = await run(bed, 'failback', 'news-1');
    expect(result.tasks).toEqual(expect.arrayContaining(['CheckStandbyBeforeRollback', 'RollbackRoute']));
    expect({ kvs: bed.kvs('news-1'), order: bed.originOrder('news-1') }).toEqual(before);
    expect(await bed.ledger.get('news-1')).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
  });
});

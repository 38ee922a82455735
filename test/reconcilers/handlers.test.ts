// The step handlers as Lambda invokes them: input validated, channel looked up in the registry, failures named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeStepHandler } from '../../sandbox/aws/state-machine-runner.js';
import { startTestbed, type Testbed } from '../../sandbox/testkit/state-machine-testbed.js';

let bed: Testbed;
beforeAll(async () => {
  bed = await startTestbed();
});
afterAll(async () => {
  await bed.stop();
});

describe('step handlers', () => {
  it('reject an invalid input as Flatline.InvalidInput, naming the field', async () => {
    await expect(invokeStepHandler('setSlate', { channelId: 'news-1', on: 'yes' })).rejects.toMatchObject({
      name: 'Flatline.InvalidInput',
      message: expect.stringContaining('on'),
    });
    await expect(invokeStepHandler('setOriginGroup', { channelId: 'news-1' })).rejects.toMatchObject({ name: 'Flatline.InvalidInput' });
  });

  it('reject a channel the registry does not know as Flatline.UnknownChannel', async () => {
    await expect(invokeStepHandler('setEdgeRoute', { channelId: 'nope-1', incidentId: 'h-0', route: 'standby' })).rejects.toMatchObject({ name: 'Flatline.UnknownChannel' });
  });

  it('a step that changes the routing or a channel needs its incident, and acts only while that incident holds the lock', async () => {
    await expect(invokeStepHandler('setEdgeRoute', { channelId: 'news-1', route: 'standby' })).rejects.toMatchObject({
      name: 'Flatline.InvalidInput',
      message: expect.stringContaining('incidentId'),
    });
    const mutating = () => bed.sandbox.calls.filter((c) => c.mutating).length;
    const before = mutating();
    // No lock at all, then a lock held by another incident: Flatline.LockLost, and not one mutating call.
    await expect(invokeStepHandler('setEdgeRoute', { channelId: 'news-1', incidentId: 'h-1', route: 'standby' })).rejects.toMatchObject({
      name: 'Flatline.LockLost',
      message: expect.stringContaining('nothing changed'),
    });
    await bed.ledger.acquire({ channelId: 'news-1', incidentId: 'h-other', action: 'failover', ttlMs: 60_000 });
    for (const [step, input] of [
      ['setEdgeRoute', { route: 'standby' }],
      ['setSlate', { on: true }],
      ['setOriginGroup', { first: 'standby' }],
      ['ensureChannelRunning', { side: 'standby' }],
      ['ensureChannelStopped', { side: 'standby' }],
    ] as const) {
      await expect(invokeStepHandler(step, { channelId: 'news-1', incidentId: 'h-1', ...input }), step).rejects.toMatchObject({
        name: 'Flatline.LockLost',
        message: expect.stringContaining('held by incident h-other'),
      });
    }
    expect(mutating()).toBe(before);
    // The incident holding the lock acts.
    const report = (await invokeStepHandler('setSlate', { channelId: 'news-1', incidentId: 'h-other', on: true })) as { changes: Array<{ applied: boolean }> };
    expect(report.changes[0]?.applied).toBe(true);
    expect(mutating()).toBeGreaterThan(before);
    await bed.ledger.complete({ channelId: 'news-1', incidentId: 'h-other', outcome: 'failed', onAir: 'primary' });
  });

  it('resolve the resources from the registry and default mode to live', async () => {
    await bed.ledger.acquire({ channelId: 'kids-1', incidentId: 'h-2', action: 'failover', ttlMs: 60_000 });
    const report = (await invokeStepHandler('setOriginGroup', { channelId: 'kids-1', incidentId: 'h-2', first: 'standby' })) as { changes: Array<{ applied: boolean }> };
    expect(report.changes).toHaveLength(1);
    expect(report.changes[0]!.applied).toBe(true);
    const c = bed.channel('kids-1');
    expect(bed.sandbox.cloudfront.originOrder(c.edge.distributionId, c.edge.originGroupId)).toEqual([c.standby.originId, c.primary.originId]);
  });

  it('stop a warm standby only when asked without onlyIfCold', async () => {
    await bed.ledger.acquire({ channelId: 'news-1', incidentId: 'h-3', action: 'failback', ttlMs: 60_000 });
    const skipped = (await invokeStepHandler('ensureChannelStopped', { channelId: 'news-1', incidentId: 'h-3', onlyIfCold: true })) as { observed: { skipped?: string } };
    expect(skipped.observed.skipped).toBe('standby mode is warm');
    expect(bed.sandbox.calls.filter((c) => c.operation === 'StopChannel')).toHaveLength(0);
  });

  it("snapshot computes the standby deadline from the execution's start (not the event's time) and the policy (or the timing override)", async () => {
    await bed.ledger.acquire({ channelId: 'sports-1', incidentId: 'h-1', action: 'failover', ttlMs: 60_000 });
    const base = { channelId: 'sports-1', incidentId: 'h-1', action: 'failover', requestedAt: '2020-01-01T00:00:00.000Z', startedAt: '2030-01-01T00:00:00.000Z' };
    const policy = (await invokeStepHandler('snapshotRouting', base)) as { deadline: string };
    expect(policy.deadline).toBe('2030-01-01T00:10:00.000Z');
    const drill = (await invokeStepHandler('snapshotRouting', { ...base, timing: { standbyReadySeconds: 30 } })) as { deadline: string };
    expect(drill.deadline).toBe('2030-01-01T00:00:30.000Z');
  });
});

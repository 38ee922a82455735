// The REAL failover ASL, run by aws-local-stepfunctions with the REAL step handlers, against the AWS
// sandbox (wire-level MediaLive/CloudFront/KVS/SNS, dynalite ledger) and a loopback live HLS origin.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { edgeKey, edgeValueString, storedEdgeState } from '../../functions/domain/routing-keys.js';
import { run, startTestbed, stepsOf, TOPIC_ARN, type Testbed } from '../../sandbox/testkit/state-machine-testbed.js';

let bed: Testbed;
beforeEach(async () => {
  bed = await startTestbed();
});
afterEach(async () => {
  await bed.stop();
});

const messages = () => bed.sandbox.sns.messages.filter((m) => m.topicArn === TOPIC_ARN);
/** Route and slate as the edge function sees them in KVS edge:<id>. */
const edgeState = (id: string) => storedEdgeState(bed.kvs(id)[edgeKey(id)]);

describe('failover', () => {
  it('warm standby: routes the edge and the origin group to the standby, records and notifies', async () => {
    bed.freeze('news-1', 'primary');
    expect(bed.originOrder('news-1')).toEqual(bed.primaryFirst('news-1'));
    const result = await run(bed, 'failover', 'news-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(edgeState('news-1')).toEqual({ route: 'standby', slate: false });
    expect(bed.originOrder('news-1')).toEqual(bed.standbyFirst('news-1'));
    expect(bed.calls('StartChannel')).toHaveLength(0);
    expect(bed.calls('UpdateDistribution')).toHaveLength(1);
    const item = await bed.ledger.get('news-1');
    expect(item).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
    expect(item.snapshot).toMatchObject({ edge: null, route: null, slate: false, originOrder: bed.primaryFirst('news-1'), standbyState: 'RUNNING' });
    expect(item.recent.at(-2)?.message).toContain('failover succeeded, on air: standby');
    expect(messages()).toHaveLength(1);
    expect(messages()[0]!.attributes.severity).toBe('info');
    // The probe's signal: nobody asked.
    expect(messages()[0]!.message).not.toContain('requested by');
    // The snapshot and the first look at the standby run side by side; a standby seen RUNNING and fresh has
    // nothing to start or wait for.
    expect(result.tasks.slice(0, 2).sort()).toEqual(['CheckStandbyFreshFirst', 'Snapshot']);
    expect(result.tasks.slice(2)).toEqual(['RouteEdgeToStandby', 'ReorderOriginGroup', 'CheckEdgeFresh', 'FinishOnStandby', 'NotifySucceeded']);
    expect(stepsOf(result)).toMatchObject({ snapshot: { observed: { standbyState: 'RUNNING' } }, standbyFresh: { observed: { fresh: true } } });
  });

  it('the standby deadline counts from the execution\'s start, read outside the Parallel (a branch may have a start of its own)', async () => {
    const before = Date.now();
    const result = await run(bed, 'failover', 'news-1', { timing: { standbyReadySeconds: 45 } });
    expect(result.status).toBe('SUCCEEDED');
    const { run: runState, steps } = result.output as { run: { startedAt: string }; steps: { snapshot: { deadline: string } } };
    expect(Date.parse(runState.startedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(steps.snapshot.deadline)).toBe(Date.parse(runState.startedAt) + 45_000);
  });

  it('a warm standby RUNNING but not fresh at the first look: waits for it through EnsureStandbyRunning and the freshness loop', async () => {
    bed.freeze('news-1', 'primary');
    bed.freeze('news-1', 'standby');
    const running = run(bed, 'failover', 'news-1', { timing: { standbyReadySeconds: 60 } });
    // Fresh again once EnsureStandbyRunning has read the standby (after the snapshot's DescribeChannel): the first look is over.
    while (bed.calls('DescribeChannel').length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    bed.freeze('news-1', 'standby', false);
    const result = await running;
    expect(result.status).toBe('SUCCEEDED');
    expect(result.tasks).toContain('EnsureStandbyRunning');
    expect(result.tasks.indexOf('CheckStandbyFresh')).toBeGreaterThan(result.tasks.indexOf('EnsureStandbyRunning'));
    expect(result.tasks.indexOf('RouteEdgeToStandby')).toBeGreaterThan(result.tasks.lastIndexOf('CheckStandbyFresh'));
    expect(stepsOf(result).standbyFresh).toMatchObject({ observed: { fresh: true } });
    expect(edgeState('news-1').route).toBe('standby');
  });

  it('the snapshot fails: nothing is changed, not even a cold standby started (the first look only reads)', async () => {
    const standby = bed.channel('sports-1').standby;
    const before = { kvs: bed.kvs('sports-1'), order: bed.originOrder('sports-1') };
    bed.freeze('sports-1', 'primary');
    bed.sandbox.faults.add({ service: 'cloudfront-keyvaluestore', operation: 'GetKey', kind: 'error', errorCode: 'AccessDeniedException', status: 403 });
    const result = await run(bed, 'failover', 'sports-1');
    expect(result.status).toBe('FAILED');
    expect(result.cause).toContain('AccessDenied');
    expect(result.tasks).not.toContain('EnsureStandbyRunning');
    expect(result.tasks.slice(-2)).toEqual(['FinishFailed', 'NotifyFailed']);
    expect(bed.sandbox.mutatingCalls().filter((c) => c.service !== 'sns')).toEqual([]);
    expect(bed.sandbox.medialive.channel(standby.region, standby.channelId).state).toBe('IDLE');
    expect(bed.kvs('sports-1')).toEqual(before.kvs);
    expect(bed.originOrder('sports-1')).toEqual(before.order);
    expect(await bed.ledger.get('sports-1')).toMatchObject({ onAir: 'primary' });
  });

  describe("an operator's request: every notification names who asked and why (the signal triage started it with)", () => {
    const request = () => ({
      kind: 'failover-requested',
      severity: 'outage' as const,
      at: new Date().toISOString(),
      source: 'flatline.ops',
      detail: { channelId: 'news-1', reason: 'primary encoder maintenance', requestedBy: 'ops@example.com' },
    });
    const lines = () => messages()[0]!.message.split('\n');

    it('succeeded (info)', async () => {
      bed.freeze('news-1', 'primary');
      const result = await run(bed, 'failover', 'news-1', { signal: request() });
      expect(result.status).toBe('SUCCEEDED');
      expect(messages()).toHaveLength(1);
      expect(lines()).toEqual(expect.arrayContaining(['reason: test', 'requested by ops@example.com: primary encoder maintenance']));
    });

    it('slate (a page)', async () => {
      bed.freeze('news-1', 'primary');
      bed.freeze('news-1', 'standby');
      const result = await run(bed, 'failover', 'news-1', { signal: request(), timing: { standbyReadySeconds: 1 } });
      expect(result.tasks.at(-1)).toBe('NotifySlate');
      expect(messages()[0]!.attributes.severity).toBe('page');
      expect(lines()).toContain('requested by ops@example.com: primary encoder maintenance');
    });
  });

  it('cold standby: starts it once, waits while STARTING, then routes', async () => {
    const standby = bed.channel('sports-1').standby;
    const sim = bed.sandbox.medialive.channel(standby.region, standby.channelId);
    expect(sim.state).toBe('IDLE');
    sim.startDelayMs = 150;
    const result = await run(bed, 'failover', 'sports-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(bed.calls('StartChannel')).toHaveLength(1);
    expect(result.tasks.filter((t) => t === 'EnsureStandbyRunning').length).toBeGreaterThan(1);
    // The snapshot was taken (and saw the standby IDLE, so a rollback stops it) before anything was started.
    const exited = result.events.findIndex((e) => e.type === 'StateExited' && (e as { state: { name: string } }).state.name === 'Snapshot');
    const ensured = result.events.findIndex((e) => e.type === 'StateEntered' && (e as { state: { name: string } }).state.name === 'EnsureStandbyRunning');
    expect(exited).toBeGreaterThanOrEqual(0);
    expect(ensured).toBeGreaterThan(exited);
    expect(stepsOf(result).snapshot).toMatchObject({ observed: { standbyState: 'IDLE' } });
    expect(sim.state).toBe('RUNNING');
    expect(edgeState('sports-1').route).toBe('standby');
    expect(bed.originOrder('sports-1')).toEqual(bed.standbyFirst('sports-1'));
  });

  it('from the slate (nothing was healthy, now the standby is): routes to the standby and switches the slate off in one write', async () => {
    bed.freeze('news-1', 'primary');
    const news = bed.channel('news-1');
    bed.sandbox.kvs.set(news.edge.kvsArn, edgeKey('news-1'), edgeValueString(news, { route: 'standby', slate: true })!);
    const result = await run(bed, 'failover', 'news-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(edgeState('news-1')).toEqual({ route: 'standby', slate: false });
    expect(bed.calls('PutKey')).toHaveLength(1);
    expect(await bed.ledger.get('news-1')).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
  });

  it('standby never fresh by its deadline: slate on, page, execution failed with Flatline.StandbyNotReady', async () => {
    bed.freeze('news-1', 'primary');
    bed.freeze('news-1', 'standby');
    // The deadline counts from the execution's start: 2 s leaves room for several freshness checks even on a loaded machine.
    const result = await run(bed, 'failover', 'news-1', { timing: { standbyReadySeconds: 2 } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.StandbyNotReady');
    expect(result.tasks.filter((t) => t === 'CheckStandbyFresh').length).toBeGreaterThan(1);
    expect(bed.kvs('news-1')).toEqual({ [edgeKey('news-1')]: edgeValueString(bed.channel('news-1'), { route: 'primary', slate: true }) });
    expect(bed.originOrder('news-1')).toEqual(bed.primaryFirst('news-1'));
    expect(await bed.ledger.get('news-1')).toMatchObject({ onAir: 'slate', phase: 'on-standby' });
    expect(messages()).toHaveLength(1);
    expect(messages()[0]!.attributes.severity).toBe('page');
    expect(messages()[0]!.message).toContain('slate is on the air');
  });

  it('standby channel CREATE_FAILED: slate with Flatline.StandbyUnavailable', async () => {
    const standby = bed.channel('sports-1').standby;
    bed.sandbox.medialive.channel(standby.region, standby.channelId).forceState('CREATE_FAILED');
    const result = await run(bed, 'failover', 'sports-1');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.StandbyUnavailable');
    expect(edgeState('sports-1').slate).toBe(true);
    expect(bed.calls('StartChannel')).toHaveLength(0);
    expect(messages()[0]!.attributes.severity).toBe('page');
  });

  it('412 on the first UpdateDistribution: re-reads the config and retries inside the step', async () => {
    bed.sandbox.faults.add({ service: 'cloudfront', operation: 'UpdateDistribution', kind: '412', count: 1 });
    const result = await run(bed, 'failover', 'news-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(bed.calls('UpdateDistribution').map((c) => c.status)).toEqual([412, 200]);
    expect(result.tasks.filter((t) => t === 'ReorderOriginGroup')).toHaveLength(1);
    expect(bed.originOrder('news-1')).toEqual(bed.standbyFirst('news-1'));
  });

  it('KVS ETag conflict: re-reads the ETag and writes again', async () => {
    bed.sandbox.faults.add({ service: 'cloudfront-keyvaluestore', operation: 'PutKey', kind: '412', count: 1 });
    const result = await run(bed, 'failover', 'news-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(bed.calls('PutKey').map((c) => c.status)).toEqual([409, 200]);
    expect(edgeState('news-1').route).toBe('standby');
  });

  it('30% throttling on every AWS call: still completes, with the same end state', async () => {
    bed.sandbox.faults.add({ kind: 'throttle', probability: 0.3 });
    const result = await run(bed, 'failover', 'sports-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(bed.sandbox.calls.filter((c) => c.fault === 'throttle').length).toBeGreaterThan(0);
    expect(bed.calls('StartChannel').filter((c) => c.status === 200)).toHaveLength(1);
    expect(edgeState('sports-1').route).toBe('standby');
    expect(bed.originOrder('sports-1')).toEqual(bed.standbyFirst('sports-1'));
    expect(await bed.ledger.get('sports-1')).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
  });

  it('a permanent error after the edge was rerouted rolls back to the snapshot exactly', async () => {
    const { kvsArn } = bed.channel('news-1').edge;
    // A value from an earlier incident, written under an older slate path: the rollback must put back exactly it.
    bed.sandbox.kvs.set(kvsArn, edgeKey('news-1'), '{"g":["mp-use1-news-1","mp-usw2-news-1"],"l":"/slate/earlier.m3u8"}');
    const before = { kvs: bed.kvs('news-1'), order: bed.originOrder('news-1') };
    bed.sandbox.faults.add({ service: 'cloudfront', operation: 'UpdateDistribution', kind: 'error', errorCode: 'AccessDenied', status: 403 });
    const result = await run(bed, 'failover', 'news-1');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.AwsError');
    expect(result.cause).toContain('AccessDenied');
    expect(bed.calls('PutKey').filter((c) => c.status === 200)).toHaveLength(2); // standby, then the snapshot's value again
    expect(bed.kvs('news-1')).toEqual(before.kvs);
    expect(bed.originOrder('news-1')).toEqual(before.order);
    expect(result.tasks).toEqual(expect.arrayContaining(['RollbackRoute', 'RollbackOriginGroup', 'FinishRolledBack', 'NotifyRolledBack']));
    expect(result.tasks).not.toContain('RollbackSlate'); // the one value carries route and slate back together
    // On the air as the snapshot says: the slate of the earlier incident.
    expect(await bed.ledger.get('news-1')).toMatchObject({ onAir: 'slate' });
    expect(messages()[0]!.attributes.severity).toBe('page');
  });

  it('rollback restores an absent edge value (an older writer\'s primary route) as the pinned primary route', async () => {
    bed.sandbox.faults.add({ service: 'cloudfront', operation: 'UpdateDistribution', kind: 'error', errorCode: 'AccessDenied', status: 403 });
    const result = await run(bed, 'failover', 'kids-1');
    expect(result.status).toBe('FAILED');
    expect(bed.kvs('kids-1')[edgeKey('kids-1')]).toBe(edgeValueString(bed.channel('kids-1'), { route: 'primary', slate: false }));
    expect(bed.kvs('kids-1')[edgeKey('kids-1')]).toBe('{"g":["mp-use1-kids-1","mp-usw2-kids-1"],"m":1}');
    expect(bed.calls('PutKey').filter((c) => c.status === 200)).toHaveLength(2); // standby, then the pinned primary
  });

  it('plan mode: the same path, every change reported, zero mutating calls', async () => {
    const standby = bed.channel('sports-1').standby;
    const before = { kvs: bed.kvs('sports-1'), order: bed.originOrder('sports-1') };
    const result = await run(bed, 'failover', 'sports-1', { mode: 'plan' });
    expect(result.status).toBe('SUCCEEDED');
    // The sandbox's call log covers the AWS services flatline controls (the ledger is its own bookkeeping).
    expect(bed.sandbox.calls.filter((c) => c.mutating)).toEqual([]);
    expect(bed.sandbox.mutatingCalls()).toEqual([]);
    expect(bed.sandbox.medialive.channel(standby.region, standby.channelId).state).toBe('IDLE');
    expect(bed.kvs('sports-1')).toEqual(before.kvs);
    expect(bed.originOrder('sports-1')).toEqual(before.order);
    const steps = stepsOf(result);
    const changes = Object.values(steps).flatMap((s) => s.changes ?? []);
    expect(changes.map((c) => c.resource)).toEqual([
      `medialive:${standby.region}:${standby.channelId}`,
      `kvs:${edgeKey('sports-1')}`,
      `origin-group:${bed.channel('sports-1').edge.originGroupId}`,
      `sns:${TOPIC_ARN}`,
    ]);
    expect(changes.every((c) => !c.applied)).toBe(true);
    const item = await bed.ledger.get('sports-1');
    expect(item).toMatchObject({ onAir: 'primary', phase: 'steady' });
    // A plan is recorded as one, and starts no dwell for real incidents.
    expect(item.recent.at(-1)?.kind).toBe('incident-planned');
    expect(item.lastTransitionAt).toBeUndefined();
  });

  it('edge not fresh after the reroute: keeps the standby and warns', async () => {
    bed.freeze('news-1', 'edge');
    const result = await run(bed, 'failover', 'news-1', { timing: { edgeVerifyAttempts: 3 } });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.tasks.filter((t) => t === 'CheckEdgeFresh')).toHaveLength(3);
    expect(edgeState('news-1').route).toBe('standby');
    expect(messages()[0]!.attributes.severity).toBe('warning');
    expect(messages()[0]!.message).toContain('the edge is not fresh yet');
  });
});

describe('failover of a channel without an origin group (KVS routing only, the fleet-scale default)', () => {
  let kvsOnly: Testbed;
  beforeEach(async () => {
    kvsOnly = await startTestbed({
      edit: (doc) => {
        delete doc.channels.find((c) => (c.id as unknown as string) === 'news-1')!.edge!.originGroupId;
      },
    });
  });
  afterEach(async () => {
    await kvsOnly.stop();
  });

  it('routes the edge to the standby; the origin-group step is a no-op that says why, with no CloudFront call', async () => {
    expect(kvsOnly.channel('news-1').edge.originGroupId).toBeUndefined();
    kvsOnly.freeze('news-1', 'primary');
    const result = await run(kvsOnly, 'failover', 'news-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(storedEdgeState(kvsOnly.kvs('news-1')[edgeKey('news-1')])).toEqual({ route: 'standby', slate: false });
    expect(result.tasks).toContain('ReorderOriginGroup');
    expect(stepsOf(result).originGroup).toEqual({
      step: 'setOriginGroup',
      observed: { originGroupId: null, reason: expect.stringContaining('declares no edge.originGroupId') },
      changes: [],
    });
    expect(kvsOnly.calls('GetDistributionConfig')).toEqual([]);
    expect(kvsOnly.calls('UpdateDistribution')).toEqual([]);
    const item = await kvsOnly.ledger.get('news-1');
    expect(item).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
    expect(item.snapshot).toMatchObject({ edge: null, originOrder: null });
  });

  it('and back: the failback routes the edge to the primary, its origin-group step a no-op too', async () => {
    expect((await run(kvsOnly, 'failover', 'news-1')).status).toBe('SUCCEEDED');
    kvsOnly.sandbox.clearCalls();
    const result = await run(kvsOnly, 'failback', 'news-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(kvsOnly.kvs('news-1')[edgeKey('news-1')]).toBeUndefined();
    expect(stepsOf(result).originGroup).toMatchObject({ observed: { originGroupId: null }, changes: [] });
    expect(kvsOnly.calls('GetDistributionConfig')).toEqual([]);
    expect(await kvsOnly.ledger.get('news-1')).toMatchObject({ onAir: 'primary', phase: 'steady' });
  });

  it('a failure after the snapshot rolls back through RollbackOriginGroup (order null) without failing there', async () => {
    kvsOnly.freeze('news-1', 'primary');
    kvsOnly.sandbox.faults.add({ service: 'cloudfront-keyvaluestore', operation: 'PutKey', kind: 'error', errorCode: 'AccessDeniedException', status: 403 });
    const result = await run(kvsOnly, 'failover', 'news-1');
    expect(result.status).toBe('FAILED');
    expect(result.tasks).toEqual(expect.arrayContaining(['RouteEdgeToStandby', 'RollbackRoute', 'RollbackOriginGroup', 'FinishRolledBack']));
    const steps = stepsOf(result);
    expect(steps.rollbackOriginGroup).toMatchObject({ observed: { originGroupId: null }, changes: [] });
    expect(kvsOnly.calls('UpdateDistribution')).toEqual([]);
    expect(kvsOnly.kvs('news-1')[edgeKey('news-1')]).toBeUndefined();
  });
});

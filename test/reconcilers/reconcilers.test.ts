// Every reconciler against the AWS sandbox's real wire protocols (MediaLive REST-JSON, CloudFront REST-XML
// with ETag/If-Match, KVS with SigV4A and ETags, SNS query, dynalite) through the real SDK clients.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { kvsClient } from '../../functions/lib/kvs-client.js';
import { items } from '../../sandbox/aws/cloudfront.js';
import { checkManifestFreshness } from '../../functions/domain/manifest/index.js';
import { edgeKey, edgeValueString, legacyRouteKey } from '../../functions/domain/routing-keys.js';
import {
  checkManifestFresh,
  ensureChannelRunning,
  ensureChannelStopped,
  finishIncident,
  notify,
  restoreEdgeValue,
  RETRYABLE,
  setEdgeRoute,
  setOriginGroup,
  setSlate,
  snapshotRouting,
  STANDBY_UNAVAILABLE,
  syncEdgeValues,
} from '../../functions/domain/reconcilers/index.js';
import { startTestbed, TOPIC_ARN, type Testbed } from '../../sandbox/testkit/state-machine-testbed.js';

let bed: Testbed;
beforeEach(async () => {
  bed = await startTestbed();
});
afterEach(async () => {
  await bed.stop();
});

const news = () => bed.channel('news-1');
const kvsArn = () => news().edge.kvsArn;
const calls = (operation: string) => bed.sandbox.calls.filter((c) => c.operation === operation);
const sim = (id: string, side: 'primary' | 'standby') => bed.sandbox.medialive.channel(bed.channel(id)[side].region, bed.channel(id)[side].channelId);

const kvs = () => kvsClient('tool');

describe('setEdgeRoute', () => {
  const key = edgeKey('news-1');
  const standbyValue = () => edgeValueString(news(), { route: 'standby', slate: false });

  it('writes only the difference; a second run makes no write', async () => {
    const input = { channel: news(), route: 'standby' as const, mode: 'live' as const, kvs: kvs() };
    const first = await setEdgeRoute(input);
    expect(first.changes).toEqual([{ resource: `kvs:${key}`, from: null, to: 'standby (mp-usw2-news-1)', applied: true }]);
    expect(bed.sandbox.kvs.get(kvsArn(), key)).toBe('{"o":"mp-usw2-news-1"}');
    const second = await setEdgeRoute(input);
    expect(second.changes).toEqual([]);
    expect(second.observed).toMatchObject({ route: 'standby', slate: false, value: standbyValue() });
    expect(calls('PutKey')).toHaveLength(1);
  });

  it('back to primary writes the pinned origin group (primary first), once; plan mode writes nothing', async () => {
    bed.sandbox.kvs.set(kvsArn(), key, standbyValue()!);
    const plan = await setEdgeRoute({ channel: news(), route: 'primary', mode: 'plan', kvs: kvs() });
    expect(plan.changes).toEqual([{ resource: `kvs:${key}`, from: 'standby (mp-usw2-news-1)', to: 'primary', applied: false }]);
    expect(bed.sandbox.calls.filter((c) => c.mutating)).toEqual([]);
    await setEdgeRoute({ channel: news(), route: 'primary', mode: 'live', kvs: kvs() });
    expect(bed.sandbox.kvs.get(kvsArn(), key)).toBe('{"g":["mp-use1-news-1","mp-usw2-news-1"]}');
    const again = await setEdgeRoute({ channel: news(), route: 'primary', mode: 'live', kvs: kvs() });
    expect(again.changes).toEqual([]);
    expect(again.observed).toMatchObject({ route: 'primary', slate: false });
    expect(calls('PutKey')).toHaveLength(1);
  });

  it('pins a key an older version left absent (primary, not yet pinned) when it sets the primary route', async () => {
    const first = await setEdgeRoute({ channel: news(), route: 'primary', mode: 'live', kvs: kvs() });
    expect(first.observed).toMatchObject({ route: 'primary', value: null });
    expect(first.changes).toEqual([{ resource: `kvs:${key}`, from: null, to: 'primary', applied: true }]);
    expect(bed.sandbox.kvs.get(kvsArn(), key)).toBe('{"g":["mp-use1-news-1","mp-usw2-news-1"]}');
    // The slate step writes it pinned as well (it keeps the route, primary).
    const kids = bed.channel('kids-1');
    await setSlate({ channel: kids, on: true, mode: 'live', kvs: kvs() });
    expect(bed.sandbox.kvs.get(kvsArn(), edgeKey('kids-1'))).toBe(`{"g":["mp-use1-kids-1","mp-usw2-kids-1"],"m":1,"l":"${kids.edge.slatePath}"}`);
  });

  it('a channel without an origin group keeps the absent key on its primary route (its behaviour targets the primary)', async () => {
    const plain = { ...news(), edge: { ...news().edge, originGroupId: undefined } };
    await setEdgeRoute({ channel: plain, route: 'standby', mode: 'live', kvs: kvs() });
    expect(bed.sandbox.kvs.get(kvsArn(), key)).toBe(standbyValue());
    const back = await setEdgeRoute({ channel: plain, route: 'primary', mode: 'live', kvs: kvs() });
    expect(back.changes).toEqual([{ resource: `kvs:${key}`, from: 'standby (mp-usw2-news-1)', to: null, applied: true }]);
    expect(bed.sandbox.kvs.get(kvsArn(), key)).toBeUndefined();
    expect(calls('DeleteKey').filter((c) => c.status === 200)).toHaveLength(1);
    expect((await setEdgeRoute({ channel: plain, route: 'primary', mode: 'live', kvs: kvs() })).changes).toEqual([]);
  });

  it('absorbs ETag conflicts by re-reading, and gives up as Flatline.Retryable when they never stop', async () => {
    bed.sandbox.faults.add({ service: 'cloudfront-keyvaluestore', operation: 'PutKey', kind: '412', count: 2 });
    await setEdgeRoute({ channel: news(), route: 'standby', mode: 'live', kvs: kvs() });
    expect(calls('PutKey').map((c) => c.status)).toEqual([409, 409, 200]);
    expect(calls('DescribeKeyValueStore')).toHaveLength(3);
    bed.sandbox.faults.add({ service: 'cloudfront-keyvaluestore', operation: 'PutKey', kind: '412' });
    await expect(setEdgeRoute({ channel: news(), route: 'primary', mode: 'live', kvs: kvs() })).rejects.toMatchObject({ name: RETRYABLE });
  });

  it('rejects a value it does not understand instead of overwriting it blindly', async () => {
    bed.sandbox.kvs.set(kvsArn(), key, 'standby');
    await expect(setEdgeRoute({ channel: news(), route: 'standby', mode: 'live', kvs: kvs() })).rejects.toMatchObject({ name: 'Flatline.RoutingConfigError', context: { key, channelId: 'news-1' } });
    expect(calls('PutKey')).toHaveLength(0);
  });
});

describe('setSlate', () => {
  it('on adds the slate path to the value, off removes it; the route stays; off when off makes no call', async () => {
    await setEdgeRoute({ channel: news(), route: 'standby', mode: 'live', kvs: kvs() });
    await setSlate({ channel: news(), on: true, mode: 'live', kvs: kvs() });
    expect(bed.sandbox.kvs.get(kvsArn(), edgeKey('news-1'))).toBe('{"o":"mp-usw2-news-1","l":"/slate/index.m3u8"}');
    const off = await setSlate({ channel: news(), on: false, mode: 'live', kvs: kvs() });
    expect(off.changes).toEqual([{ resource: `kvs:${edgeKey('news-1')}`, from: 'standby (mp-usw2-news-1), slate /slate/index.m3u8', to: 'standby (mp-usw2-news-1)', applied: true }]);
    const again = await setSlate({ channel: news(), on: false, mode: 'live', kvs: kvs() });
    expect(again.changes).toEqual([]);
    expect(calls('PutKey')).toHaveLength(3);
  });
});

describe('restoreEdgeValue', () => {
  it('puts back the exact snapshot value, absent included, whatever is stored now', async () => {
    const written = '{"o":"mp-usw2-news-1","l":"/slate/old.m3u8"}';
    await setEdgeRoute({ channel: news(), route: 'standby', mode: 'live', kvs: kvs() });
    await restoreEdgeValue({ channel: news(), value: written, mode: 'live', kvs: kvs() });
    expect(bed.sandbox.kvs.get(kvsArn(), edgeKey('news-1'))).toBe(written);
    bed.sandbox.kvs.set(kvsArn(), edgeKey('news-1'), 'garbage');
    // A snapshot taken before the primary route was pinned (absent) goes back pinned: never the deployed order.
    const back = await restoreEdgeValue({ channel: news(), value: null, mode: 'live', kvs: kvs() });
    expect(back.changes).toEqual([{ resource: `kvs:${edgeKey('news-1')}`, from: 'unreadable "garbage"', to: 'primary', applied: true }]);
    expect(bed.sandbox.kvs.get(kvsArn(), edgeKey('news-1'))).toBe('{"g":["mp-use1-news-1","mp-usw2-news-1"]}');
    expect((await restoreEdgeValue({ channel: news(), value: null, mode: 'live', kvs: kvs() })).changes).toEqual([]);
    // A channel without an origin group: absent is its primary route, and goes back absent.
    const plain = { ...news(), edge: { ...news().edge, originGroupId: undefined } };
    await restoreEdgeValue({ channel: plain, value: null, mode: 'live', kvs: kvs() });
    expect(bed.sandbox.kvs.get(kvsArn(), edgeKey('news-1'))).toBeUndefined();
    await expect(restoreEdgeValue({ channel: news(), value: 'standby', mode: 'live', kvs: kvs() })).rejects.toMatchObject({ name: 'Flatline.RoutingConfigError' });
  });
});

describe('syncEdgeValues', () => {
  it('carries the legacy keys over with UpdateKeys through the wire protocol, then deletes them', async () => {
    bed.sandbox.kvs.set(kvsArn(), legacyRouteKey('news-1'), 'standby');
    const channels = ['news-1', 'sports-1', 'kids-1'].map((id) => bed.channel(id));
    const migrate = await syncEdgeValues({ channels, mode: 'live', fromLegacy: true, kvs: kvs() });
    // news-1 onto its standby; the others on their primary, now pinned.
    const pinned = (id: string) => edgeValueString(bed.channel(id), { route: 'primary', slate: false })!;
    expect(migrate.changes).toEqual([
      { resource: `kvs:${edgeKey('news-1')}`, from: null, to: 'standby (mp-usw2-news-1)', applied: true },
      { resource: `kvs:${edgeKey('sports-1')}`, from: null, to: 'primary', applied: true },
      { resource: `kvs:${edgeKey('kids-1')}`, from: null, to: 'primary', applied: true },
    ]);
    const migrated = { [edgeKey('news-1')]: '{"o":"mp-usw2-news-1"}', [edgeKey('sports-1')]: pinned('sports-1'), [edgeKey('kids-1')]: pinned('kids-1') };
    expect(bed.sandbox.kvs.snapshot(kvsArn())).toEqual({ [legacyRouteKey('news-1')]: 'standby', ...migrated });
    await syncEdgeValues({ channels, mode: 'live', deleteLegacy: true, kvs: kvs() });
    expect(bed.sandbox.kvs.snapshot(kvsArn())).toEqual(migrated);
    expect(calls('UpdateKeys').map((c) => c.status)).toEqual([200, 200]);
    expect(calls('ListKeys').length).toBeGreaterThan(0);
    const plan = await syncEdgeValues({ channels, mode: 'plan', fromLegacy: true, kvs: kvs() });
    expect(plan.changes).toEqual([{ resource: `kvs:${edgeKey('news-1')}`, from: 'standby (mp-usw2-news-1)', to: 'primary', applied: false }]);
    expect(calls('UpdateKeys')).toHaveLength(2);
  });
});

describe('setOriginGroup', () => {
  const input = (order: [string, string], mode: 'live' | 'plan' = 'live') => ({
    distributionId: news().edge.distributionId,
    originGroupId: news().edge.originGroupId,
    order,
    mode,
    cloudFront: awsClients('tool').cloudFront(),
  });
  const standbyFirst = (): [string, string] => [news().standby.originId, news().primary.originId];
  const readConfig = async () => (await awsClients('tool').cloudFront().send(new GetDistributionConfigCommand({ Id: news().edge.distributionId }))).DistributionConfig!;

  it('reorders the members and leaves every other field of the config as it was', async () => {
    const before = await readConfig();
    const report = await setOriginGroup(input(standbyFirst()));
    expect(report.changes).toEqual([{ resource: `origin-group:${news().edge.originGroupId}`, from: [news().primary.originId, news().standby.originId], to: standbyFirst(), applied: true }]);
    expect(bed.sandbox.cloudfront.originOrder(news().edge.distributionId, news().edge.originGroupId)).toEqual(standbyFirst());
    const after = await readConfig();
    const group = (c: typeof after) => c.OriginGroups!.Items!.find((g) => g.Id === news().edge.originGroupId)!;
    group(before).Members!.Items = standbyFirst().map((OriginId) => ({ OriginId }));
    expect(after).toEqual(before);
  });

  it('a channel without an origin group, or a rollback to a snapshot without one: a no-op that says why, no CloudFront call', async () => {
    const none = await setOriginGroup({ ...input(standbyFirst()), originGroupId: undefined });
    expect(none).toEqual({ step: 'setOriginGroup', observed: { originGroupId: null, reason: expect.stringContaining('declares no edge.originGroupId') }, changes: [] });
    const rollback = await setOriginGroup({ ...input(standbyFirst()), order: null });
    expect(rollback).toEqual({ step: 'setOriginGroup', observed: { originGroupId: null, reason: expect.stringContaining('origin group og-news-1 left as it is') }, changes: [] });
    expect(calls('GetDistributionConfig')).toEqual([]);
    expect(calls('UpdateDistribution')).toEqual([]);
  });

  it('makes no UpdateDistribution call at all when the order is already right, or in plan mode', async () => {
    await setOriginGroup(input([news().primary.originId, news().standby.originId]));
    const plan = await setOriginGroup(input(standbyFirst(), 'plan'));
    expect(plan.changes[0]?.applied).toBe(false);
    expect(calls('UpdateDistribution')).toHaveLength(0);
  });

  it('re-reads and retries on 412, then hands a persistent race to the state machine as Flatline.Retryable', async () => {
    bed.sandbox.faults.add({ service: 'cloudfront', operation: 'UpdateDistribution', kind: '412', count: 1 });
    await setOriginGroup(input(standbyFirst()));
    expect(calls('UpdateDistribution').map((c) => c.status)).toEqual([412, 200]);
    expect(calls('GetDistributionConfig')).toHaveLength(2);
    bed.sandbox.faults.add({ service: 'cloudfront', operation: 'UpdateDistribution', kind: '412' });
    await expect(setOriginGroup(input([news().primary.originId, news().standby.originId]))).rejects.toMatchObject({ name: RETRYABLE });
  });

  it('keeps an MQAR group\'s SelectionCriteria and FailoverCriteria through a reorder (REST-XML both ways)', async () => {
    const kids = bed.channel('kids-1');
    const { distributionId, originGroupId } = kids.edge;
    const rawGroup = () => items(bed.sandbox.cloudfront.config(distributionId).OriginGroups, 'OriginGroup').find((g) => g.Id === originGroupId)!;
    // Seeded from the registry, which declares MQAR for kids-1; the failover criteria as an operator might set them.
    expect(rawGroup().SelectionCriteria).toBe('media-quality-based');
    bed.sandbox.cloudfront.updateConfig(distributionId, (config) => {
      const group = items(config.OriginGroups, 'OriginGroup').find((g) => g.Id === originGroupId)!;
      group.FailoverCriteria = { StatusCodes: { Quantity: '2', Items: { StatusCode: ['404', '503'] } } };
    });
    const before = rawGroup();
    const report = await setOriginGroup({ distributionId, originGroupId, order: [kids.standby.originId, kids.primary.originId], selection: 'media-quality-based', mode: 'live', cloudFront: awsClients('tool').cloudFront() });
    expect(report.observed).toEqual({ originGroupId, order: [kids.primary.originId, kids.standby.originId], selectionCriteria: 'media-quality-based', failoverStatusCodes: [404, 503] });
    const after = rawGroup();
    expect(after.SelectionCriteria).toBe('media-quality-based');
    expect(after.FailoverCriteria).toEqual(before.FailoverCriteria);
    expect(after).toEqual({ ...before, Members: { Quantity: '2', Items: { OriginGroupMember: [{ OriginId: kids.standby.originId }, { OriginId: kids.primary.originId }] } } });
  });

  it('reports, and leaves alone, a SelectionCriteria the registry does not declare', async () => {
    const report = await setOriginGroup({ ...input([news().standby.originId, news().primary.originId]), selection: 'media-quality-based' });
    expect(report.observed).toMatchObject({ selectionMismatch: expect.stringMatching(/declares edge\.originSelection media-quality-based, origin group og-news-1 has SelectionCriteria default/) });
    expect((await readConfig()).OriginGroups!.Items!.find((g) => g.Id === news().edge.originGroupId)!.SelectionCriteria).toBe('default');
  });

  it('the sandbox refuses a SelectionCriteria CloudFront does not know', async () => {
    const out = await awsClients('tool').cloudFront().send(new GetDistributionConfigCommand({ Id: news().edge.distributionId }));
    out.DistributionConfig!.OriginGroups!.Items![0]!.SelectionCriteria = 'best-effort' as 'default';
    await expect(awsClients('tool').cloudFront().send(new UpdateDistributionCommand({ Id: news().edge.distributionId, IfMatch: out.ETag, DistributionConfig: out.DistributionConfig }))).rejects.toMatchObject({ name: 'InvalidArgument' });
  });

  it('refuses an order whose members are not the group members', async () => {
    await expect(setOriginGroup(input(['somewhere', news().primary.originId]))).rejects.toMatchObject({ name: 'Flatline.RoutingConfigError' });
    await expect(setOriginGroup({ ...input(standbyFirst()), originGroupId: 'og-missing' })).rejects.toMatchObject({ name: 'Flatline.RoutingConfigError' });
  });
});

describe('ensureChannelRunning / ensureChannelStopped', () => {
  const standby = () => bed.channel('sports-1').standby;

  it('starts an IDLE channel once, reports waiting while STARTING, ready when RUNNING', async () => {
    const channel = sim('sports-1', 'standby');
    channel.startDelayMs = 10_000;
    const ref = { region: standby().region, channelId: standby().channelId, mode: 'live' as const, mediaLive: awsClients('tool').mediaLive };
    const first = await ensureChannelRunning(ref);
    expect(first.observed).toMatchObject({ state: 'STARTING', ready: false });
    expect(first.changes).toHaveLength(1);
    const second = await ensureChannelRunning(ref);
    expect(second.observed).toMatchObject({ state: 'STARTING', ready: false });
    expect(second.changes).toEqual([]);
    expect(calls('StartChannel')).toHaveLength(1);
    channel.forceState('RUNNING');
    expect((await ensureChannelRunning(ref)).observed.ready).toBe(true);
  });

  it('plan mode reports the start without making it', async () => {
    const report = await ensureChannelRunning({ region: standby().region, channelId: standby().channelId, mode: 'plan', mediaLive: awsClients('tool').mediaLive });
    expect(report.changes).toEqual([{ resource: `medialive:${standby().region}:${standby().channelId}`, from: 'IDLE', to: 'RUNNING', applied: false }]);
    expect(calls('StartChannel')).toHaveLength(0);
  });

  it('a 409 on StartChannel (someone else started it) is answered by reading the state again', async () => {
    bed.sandbox.faults.add({ service: 'medialive', operation: 'StartChannel', kind: 'error', errorCode: 'ConflictException', status: 409, count: 1 });
    const report = await ensureChannelRunning({ region: standby().region, channelId: standby().channelId, mode: 'live', mediaLive: awsClients('tool').mediaLive });
    expect(report.changes).toEqual([]);
    expect(calls('DescribeChannel')).toHaveLength(2);
  });

  it('CREATE_FAILED / DELETED: Flatline.StandbyUnavailable with the channel in the context', async () => {
    for (const state of ['CREATE_FAILED', 'DELETED'] as const) {
      sim('sports-1', 'standby').forceState(state);
      await expect(ensureChannelRunning({ region: standby().region, channelId: standby().channelId, mode: 'live', mediaLive: awsClients('tool').mediaLive })).rejects.toMatchObject({
        name: STANDBY_UNAVAILABLE,
        context: { channelId: standby().channelId, state },
      });
    }
  });

  it('stops a running channel once; nothing to do when IDLE', async () => {
    const news = bed.channel('news-1').standby;
    const ref = { region: news.region, channelId: news.channelId, mode: 'live' as const, mediaLive: awsClients('tool').mediaLive };
    const first = await ensureChannelStopped(ref);
    expect(first.changes).toHaveLength(1);
    await ensureChannelStopped(ref);
    expect(calls('StopChannel')).toHaveLength(1);
    const idle = await ensureChannelStopped({ region: standby().region, channelId: standby().channelId, mode: 'live', mediaLive: awsClients('tool').mediaLive });
    expect(idle.changes).toEqual([]);
    expect(idle.observed.ready).toBe(true);
  });

  it('turns sustained throttling into Flatline.Retryable', async () => {
    bed.sandbox.faults.add({ service: 'medialive', kind: 'throttle' });
    await expect(ensureChannelRunning({ region: standby().region, channelId: standby().channelId, mode: 'live', mediaLive: awsClients('tool').mediaLive })).rejects.toMatchObject({ name: RETRYABLE });
  });
});

describe('snapshotRouting', () => {
  it('reads KVS route/slate, the origin order and the standby state, and saves the snapshot on the ledger', async () => {
    const stored = edgeValueString(news(), { route: 'primary', slate: true })!;
    bed.sandbox.kvs.set(kvsArn(), edgeKey('news-1'), stored);
    const lock = await bed.ledger.acquire({ channelId: 'news-1', incidentId: 'inc-1', action: 'failover', ttlMs: 60_000 });
    expect(lock.acquired).toBe(true);
    const report = await snapshotRouting({
      channelId: 'news-1',
      incidentId: 'inc-1',
      kvsArn: kvsArn(),
      distributionId: news().edge.distributionId,
      originGroupId: news().edge.originGroupId,
      standby: { region: news().standby.region, channelId: news().standby.channelId },
      mode: 'live',
      ledger: bed.ledger,
      kvs: kvsClient('tool'),
      cloudFront: awsClients('tool').cloudFront(),
      mediaLive: awsClients('tool').mediaLive,
    });
    expect(report.observed).toMatchObject({ edge: stored, route: 'primary', slate: true, originOrder: [news().primary.originId, news().standby.originId], standbyState: 'RUNNING' });
    expect((await bed.ledger.get('news-1')).snapshot).toEqual(report.observed);
    expect(bed.sandbox.calls.filter((c) => c.mutating)).toEqual([]);
  });

  it('of a channel without an origin group: originOrder null, no CloudFront call', async () => {
    const report = await snapshotRouting({
      channelId: 'news-1',
      incidentId: 'inc-2',
      kvsArn: kvsArn(),
      distributionId: news().edge.distributionId,
      originGroupId: undefined,
      standby: { region: news().standby.region, channelId: news().standby.channelId },
      mode: 'plan',
      ledger: bed.ledger,
      kvs: kvsClient('tool'),
      cloudFront: awsClients('tool').cloudFront(),
      mediaLive: awsClients('tool').mediaLive,
    });
    expect(report.observed).toMatchObject({ edge: null, originOrder: null, standbyState: 'RUNNING' });
    expect(calls('GetDistributionConfig')).toEqual([]);
  });
});

describe('checkManifestFresh', () => {
  const check = (path: 'primary' | 'standby' | 'edge') =>
    checkManifestFresh({ target: path, url: news()[path].manifestUrl, staleAfterTargetDurations: 1.5, check: checkManifestFreshness });

  it('fresh, stale and unreachable origins are verdicts, never throws', async () => {
    expect((await check('standby')).observed).toMatchObject({ target: 'standby', fresh: true });
    bed.freeze('news-1', 'standby');
    const stale = await check('standby');
    expect(stale.observed.fresh).toBe(false);
    expect(stale.observed.ageMs).toBeGreaterThan(stale.observed.thresholdMs!);
    bed.origin.set('news-1/edge', { status: 503 });
    const down = await check('edge');
    expect(down.observed.fresh).toBe(false);
    expect(down.observed.reason).toMatch(/503/);
  });

  it('with producedSince, a side that died a moment ago still looks young: it gets until its media would be stale, then is called stale; a live side shows new media', async () => {
    const since = Date.now();
    bed.origin.set('news-1/primary', { stallAt: since });
    const withSince = (path: 'primary' | 'standby') =>
      checkManifestFresh({ target: path, url: news()[path].manifestUrl, staleAfterTargetDurations: 1.5, producedSince: since, check: checkManifestFreshness });
    const [dead, live] = await Promise.all([withSince('primary'), withSince('standby')]);
    expect(dead.observed.fresh).toBe(false);
    expect(dead.observed.ageMs).toBeGreaterThan(dead.observed.thresholdMs!);
    expect(live.observed).toMatchObject({ fresh: true, reason: expect.stringMatching(/^fresh/) });
  });
});

describe('notify', () => {
  it('publishes to the topic with the severity as a message attribute; plan mode publishes nothing', async () => {
    const base = { topicArn: TOPIC_ARN, channelId: 'news-1', incidentId: 'inc-2', subject: 'PAGE flatline news-1: failover slate', message: 'slate on', severity: 'page' as const, sns: awsClients('tool').sns() };
    await notify({ ...base, mode: 'plan' });
    expect(bed.sandbox.sns.messages).toHaveLength(0);
    await notify({ ...base, mode: 'live' });
    expect(bed.sandbox.sns.messages).toHaveLength(1);
    expect(bed.sandbox.sns.messages[0]).toMatchObject({ topicArn: TOPIC_ARN, subject: base.subject, message: 'slate on', attributes: { severity: 'page', channelId: 'news-1' } });
    await expect(notify({ ...base, topicArn: undefined, mode: 'live' })).rejects.toMatchObject({ name: 'Flatline.ConfigurationError' });
  });
});

describe('finishIncident', () => {
  it('records the summary and releases the lock with the outcome; running it twice is running it once', async () => {
    await bed.ledger.acquire({ channelId: 'news-1', incidentId: 'inc-3', action: 'failover', ttlMs: 60_000 });
    const input = {
      channelId: 'news-1',
      incidentId: 'inc-3',
      action: 'failover' as const,
      outcome: 'succeeded' as const,
      onAir: 'standby' as const,
      mode: 'live' as const,
      changes: [{ resource: 'kvs:edge:news-1', from: null, to: 'standby (mp-usw2-news-1)', applied: true }],
      ledger: bed.ledger,
    };
    const first = await finishIncident(input);
    expect(first.observed.summary).toBe('failover succeeded, on air: standby; changed kvs:edge:news-1 absent -> standby (mp-usw2-news-1)');
    expect(first.observed.item).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
    const second = await finishIncident(input);
    expect(second.observed.item.version).toBe(first.observed.item.version);
  });
});

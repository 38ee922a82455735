// The contract with the control plane, end to end in-process: the REAL edge reconcilers (what the setEdgeRoute /
// setSlate / rollback steps and `flatline edge sync` run) write through the SDK into the AWS sandbox's
// KeyValueStore (the real wire protocol, SigV4A and ETags), and the REAL built function reads that store through
// the harness.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildEdgeRouter } from '../../edge/build.js';
import { loadEdgeRouter, type EdgeRouter } from '../../edge/harness.js';
import { restoreEdgeValue, setEdgeRoute, setSlate } from '../../functions/domain/reconcilers/edge-route.js';
import { syncEdgeValues } from '../../functions/domain/reconcilers/edge-sync.js';
import type { Channel } from '../../functions/domain/registry/index.js';
import { decodeEdgeValue, edgeKey, edgeValueString, legacyRouteKey, legacySlateKey, type EdgeState } from '../../functions/domain/routing-keys.js';
import { kvsClient } from '../../functions/lib/kvs-client.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';
import { registryWithPerOriginChannel } from './registries.js';

const registry = registryWithPerOriginChannel();
// The registry's channels share one store, which the function reads.
const kvsArn = registry.channels[0]!.edge.kvsArn;
let sandbox: AwsSandbox;
let edge: EdgeRouter;
/** Keys written or deleted since the test began, in order. */
let written: string[] = [];

/** The sandbox store, read and written outside the API (what a test sets up or looks at). */
const store = {
  get: (key: string): string | undefined => sandbox.kvs.get(kvsArn, key),
  has: (key: string): boolean => sandbox.kvs.get(kvsArn, key) !== undefined,
  set: (key: string, value: string): void => sandbox.kvs.set(kvsArn, key, value),
  keys: (): string[] => Object.keys(sandbox.kvs.snapshot(kvsArn)),
  clear: (): void => {
    for (const key of Object.keys(sandbox.kvs.snapshot(kvsArn))) sandbox.kvs.set(kvsArn, key, undefined);
  },
};
/** The successful calls of one KVS operation since the test began. */
const calls = (operation: string) => sandbox.calls.filter((c) => c.service === 'cloudfront-keyvaluestore' && c.operation === operation && c.status === 200);

beforeAll(async () => {
  sandbox = await startAwsSandbox({ registry, serverlessPath: false });
  sandbox.applyEnv();
  sandbox.kvs.onChange((c) => written.push(c.key));
  edge = loadEdgeRouter(buildEdgeRouter().code, { kvs: (key) => sandbox.kvs.get(kvsArn, key) });
});
afterAll(async () => {
  await sandbox.stop();
});
beforeEach(() => {
  store.clear();
  sandbox.clearCalls();
  written = [];
});

const manifest = (c: Channel): string => `/live/${c.id}/index.m3u8`;
const segment = (c: Channel): string => `/live/${c.id}/hls/seg_7.ts`;
const STATES: EdgeState[] = [
  { route: 'primary', slate: false },
  { route: 'standby', slate: false },
  { route: 'primary', slate: true },
  { route: 'standby', slate: true },
];

/** What viewers of `channel` must get in `state`, from the registry alone. */
interface Seen {
  uri: string;
  originId: string | null;
  /** The request's origin group, members in order (null: the behaviour's own group, as deployed). */
  group: string[] | null;
}

function expected(channel: Channel, state: EdgeState): { manifest: Seen; segment: Seen } {
  const originId = state.route === 'standby' ? channel.standby.originId : null;
  // The primary route of a channel with an origin group is pinned: primary first, whatever the distribution deployed.
  const group = state.route === 'primary' && channel.edge.originGroupId !== undefined ? [channel.primary.originId, channel.standby.originId] : null;
  const side = state.route === 'standby' ? channel.standby : channel.primary;
  const path = (uri: string): string => (channel.edge.paths === 'per-origin' ? side.originPath!.replace(/\/+$/, '') + uri.slice(`/live/${channel.id}`.length) : uri);
  return {
    manifest: { uri: state.slate ? channel.edge.slatePath : path(manifest(channel)), originId, group },
    segment: { uri: path(segment(channel)), originId, group },
  };
}

async function seen(channel: Channel): Promise<ReturnType<typeof expected>> {
  const m = await edge.handle({ uri: manifest(channel) });
  const s = await edge.handle({ uri: segment(channel) });
  const group = (d: typeof m): string[] | null => d.originGroup?.originIds.map((o) => o.originId) ?? null;
  return { manifest: { uri: m.uri, originId: m.originId, group: group(m) }, segment: { uri: s.uri, originId: s.originId, group: group(s) } };
}

async function reach(channel: Channel, state: EdgeState): Promise<void> {
  await setEdgeRoute({ channel, route: state.route, mode: 'live', kvs: kvsClient('tool') });
  await setSlate({ channel, on: state.slate, mode: 'live', kvs: kvsClient('tool') });
}

describe.each(registry.channels.map((c) => [c.id, c] as const))('channel %s', (_id, channel) => {
  it('every state the route and slate steps write is what the function does', async () => {
    for (const from of STATES) {
      for (const to of STATES) {
        await reach(channel, from);
        expect(await seen(channel)).toEqual(expected(channel, from));
        await reach(channel, to);
        expect(await seen(channel)).toEqual(expected(channel, to));
      }
    }
  });

  it('the route step keeps the slate and the slate step keeps the route', async () => {
    await setSlate({ channel, on: true, mode: 'live', kvs: kvsClient('tool') });
    await setEdgeRoute({ channel, route: 'standby', mode: 'live', kvs: kvsClient('tool') });
    expect(await seen(channel)).toEqual(expected(channel, { route: 'standby', slate: true }));
    await setSlate({ channel, on: false, mode: 'live', kvs: kvsClient('tool') });
    expect(await seen(channel)).toEqual(expected(channel, { route: 'standby', slate: false }));
  });

  it('back on the primary with no slate, the value pins the origin group: the route never waits for the distribution', async () => {
    await reach(channel, { route: 'standby', slate: true });
    await reach(channel, { route: 'primary', slate: false });
    expect(decodeEdgeValue(store.get(edgeKey(channel.id))!)?.g).toEqual([channel.primary.originId, channel.standby.originId]);
  });

  it('a key written before the pin (absent: primary) gets the pinned value from the route step, once', async () => {
    const first = await setEdgeRoute({ channel, route: 'primary', mode: 'live', kvs: kvsClient('tool') });
    expect(first.changes).toHaveLength(1);
    expect(store.get(edgeKey(channel.id))).toBe(edgeValueString(channel, { route: 'primary', slate: false }));
    expect(await seen(channel)).toEqual(expected(channel, { route: 'primary', slate: false }));
    const puts = calls('PutKey').length;
    expect((await setEdgeRoute({ channel, route: 'primary', mode: 'live', kvs: kvsClient('tool') })).changes).toEqual([]);
    expect(calls('PutKey')).toHaveLength(puts);
  });

  it('a second run writes nothing; plan mode writes nothing, so the edge does not move', async () => {
    await setEdgeRoute({ channel, route: 'standby', mode: 'live', kvs: kvsClient('tool') });
    const puts = calls('PutKey').length;
    expect((await setEdgeRoute({ channel, route: 'standby', mode: 'live', kvs: kvsClient('tool') })).changes).toEqual([]);
    expect(calls('PutKey')).toHaveLength(puts);
    const plan = await setSlate({ channel, on: true, mode: 'plan', kvs: kvsClient('tool') });
    expect(plan.changes).toEqual([{ resource: `kvs:${edgeKey(channel.id)}`, from: `standby (${channel.standby.originId})`, to: `standby (${channel.standby.originId}), slate ${channel.edge.slatePath}`, applied: false }]);
    expect(calls('PutKey')).toHaveLength(puts);
    expect(await seen(channel)).toEqual(expected(channel, { route: 'standby', slate: false }));
  });

  it('the rollback puts back the value the snapshot read; a primary route read before the pin goes back pinned', async () => {
    for (const before of STATES) {
      store.clear();
      await reach(channel, before);
      const snapshot = store.get(edgeKey(channel.id)) ?? null;
      const viewersBefore = await seen(channel);
      await reach(channel, { route: 'standby', slate: true });
      await restoreEdgeValue({ channel, value: snapshot, mode: 'live', kvs: kvsClient('tool') });
      expect(store.get(edgeKey(channel.id)) ?? null).toBe(snapshot);
      expect(await seen(channel)).toEqual(viewersBefore);
    }
    // Snapshots of an older writer: the key absent (never the case for a per-origin channel: edge sync seeds it),
    // or a slate without the group.
    const paths = channel.edge.paths === 'per-origin' ? { p: channel.primary.originPath!.replace(/\/+$/, ''), q: channel.standby.originPath!.replace(/\/+$/, '') } : {};
    const unpinnedSlate = JSON.stringify({ l: channel.edge.slatePath, ...paths });
    const older: Array<[string | null, EdgeState]> = [[unpinnedSlate, { route: 'primary', slate: true }]];
    if (channel.edge.paths === 'identical') older.push([null, { route: 'primary', slate: false }]);
    for (const [snapshot, state] of older) {
      await reach(channel, { route: 'standby', slate: false });
      await restoreEdgeValue({ channel, value: snapshot, mode: 'live', kvs: kvsClient('tool') });
      expect(store.get(edgeKey(channel.id))).toBe(edgeValueString(channel, state));
      expect(await seen(channel)).toEqual(expected(channel, state));
    }
  });

  it('the one key the steps write is the one key the function reads, once per request', async () => {
    await reach(channel, { route: 'standby', slate: true });
    expect(calls('PutKey').length).toBeGreaterThan(0);
    expect([...new Set(written)]).toEqual([edgeKey(channel.id)]);
    expect((await edge.handle({ uri: manifest(channel) })).kvsReads).toEqual([edgeKey(channel.id)]);
    expect((await edge.handle({ uri: segment(channel) })).kvsReads).toEqual([edgeKey(channel.id)]);
  });
});

describe('edge sync', () => {
  const perOrigin = registry.channels.find((c) => c.edge.paths === 'per-origin')!;

  it('seeds what only the registry knows: a per-origin channel gets its paths, a channel with an origin group its pinned route', async () => {
    expect((await edge.handle({ uri: segment(perOrigin) })).uri).toBe(segment(perOrigin));
    const report = await syncEdgeValues({ channels: registry.channels, mode: 'live', kvs: kvsClient('tool') });
    // Every channel of this registry has an origin group.
    expect(report.changes.map((c) => c.resource)).toEqual(registry.channels.map((c) => `kvs:${edgeKey(c.id)}`));
    for (const c of registry.channels) expect(await seen(c)).toEqual(expected(c, { route: 'primary', slate: false }));
    expect((await syncEdgeValues({ channels: registry.channels, mode: 'live', kvs: kvsClient('tool') })).changes).toEqual([]);
  });

  it('keeps the stored route and slate, and rewrites what the registry changed since', async () => {
    const news = registry.channels.find((c) => c.id === 'news-1')!;
    await reach(news, { route: 'standby', slate: true });
    const moved = { ...news, standby: { ...news.standby, originId: 'mp-usw2-news-1-v2' }, edge: { ...news.edge, slatePath: '/slate/v2.m3u8' } };
    await syncEdgeValues({ channels: [moved], mode: 'live', kvs: kvsClient('tool') });
    expect(await seen(moved)).toEqual(expected(moved, { route: 'standby', slate: true }));
  });

  it('migrates the keys before edge:<id>: what route:/slate: said is what the function now does', async () => {
    const [news, sports, kids] = ['news-1', 'sports-1', 'kids-1'].map((id) => registry.channels.find((c) => c.id === id)!);
    store.set(legacyRouteKey(news!.id), 'standby');
    store.set(legacySlateKey(sports!.id), 'on');
    store.set(legacyRouteKey(kids!.id), 'primary');
    store.set(legacyRouteKey(perOrigin.id), 'standby');
    store.set(legacySlateKey(perOrigin.id), 'on');
    const plan = await syncEdgeValues({ channels: registry.channels, mode: 'plan', fromLegacy: true, kvs: kvsClient('tool') });
    // kids-1 too: its primary route is now pinned.
    expect(plan.changes).toHaveLength(4);
    expect(calls('UpdateKeys')).toHaveLength(0);
    await syncEdgeValues({ channels: registry.channels, mode: 'live', fromLegacy: true, kvs: kvsClient('tool') });
    expect(await seen(news!)).toEqual(expected(news!, { route: 'standby', slate: false }));
    expect(await seen(sports!)).toEqual(expected(sports!, { route: 'primary', slate: true }));
    expect(await seen(kids!)).toEqual(expected(kids!, { route: 'primary', slate: false }));
    expect(await seen(perOrigin)).toEqual(expected(perOrigin, { route: 'standby', slate: true }));

    await expect(syncEdgeValues({ channels: registry.channels, mode: 'live', fromLegacy: true, deleteLegacy: true, kvs: kvsClient('tool') })).rejects.toMatchObject({ name: 'Flatline.InvalidInput' });
    const cleanup = await syncEdgeValues({ channels: registry.channels, mode: 'live', deleteLegacy: true, kvs: kvsClient('tool') });
    expect(cleanup.changes.map((c) => c.resource).sort()).toEqual(
      [legacyRouteKey('news-1'), legacySlateKey('sports-1'), legacyRouteKey('kids-1'), legacyRouteKey(perOrigin.id), legacySlateKey(perOrigin.id)].map((k) => `kvs:${k}`).sort(),
    );
    expect(store.keys().every((k) => k.startsWith('edge:'))).toBe(true);
    expect(await seen(news!)).toEqual(expected(news!, { route: 'standby', slate: false }));
  });

  it('writes 50 keys per UpdateKeys request and reports edge values the registry no longer has', async () => {
    const many = Array.from({ length: 120 }, (_, i) => ({ ...perOrigin, id: `events-${i + 2}` }));
    store.set(edgeKey('retired-1'), '{"o":"mp-usw2-retired-1"}');
    const report = await syncEdgeValues({ channels: many, mode: 'live', kvs: kvsClient('tool') });
    expect(report.changes).toHaveLength(120);
    expect(calls('UpdateKeys')).toHaveLength(3);
    expect(store.keys().filter((k) => k.startsWith('edge:events-'))).toHaveLength(120);
    expect(report.observed.orphans).toEqual([edgeKey('retired-1')]);
    expect(store.has(edgeKey('retired-1'))).toBe(true);
  });
});

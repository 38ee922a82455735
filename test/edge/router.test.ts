// The built edge router, run by the local runtime harness: routing, slate, fail open, per-origin paths, path
// safety, and the KVS contract with the control plane. Values are written with the writer's own functions
// (functions/domain/routing-keys.ts, the one definition both sides use).
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildEdgeRouter } from '../../edge/build.js';
import { loadEdgeRouter, type EdgeRouter } from '../../edge/harness.js';
import { getChannel, type Registry } from '../../functions/domain/registry/index.js';
import { edgeKey, edgeValueString, ORIGIN_GROUP_FAILOVER_STATUS_CODES, ROUTE_HEADER, type EdgeState } from '../../functions/domain/routing-keys.js';
import { registryWithPerOriginChannel } from './registries.js';

let registry: Registry;
let code: string;
const kvs = new Map<string, string>();
let edge: EdgeRouter;

beforeAll(() => {
  registry = registryWithPerOriginChannel();
  code = buildEdgeRouter().code;
  edge = loadEdgeRouter(code, { kvs });
});
beforeEach(() => kvs.clear());

const PRIMARY: EdgeState = { route: 'primary', slate: false };
const STANDBY: EdgeState = { route: 'standby', slate: false };

/** Stores what the control plane writes for `channelId` in `state` (deletes the key when it writes none). */
function put(channelId: string, state: EdgeState): void {
  const value = edgeValueString(getChannel(registry, channelId), state);
  if (value === null) kvs.delete(edgeKey(channelId));
  else kvs.set(edgeKey(channelId), value);
}

const NEWS_MANIFEST = '/live/news-1/index.m3u8';

describe('routing', () => {
  it('creates the request origin group from a pinned primary route: primary first, the stack\'s failover codes', async () => {
    put('news-1', PRIMARY);
    expect(kvs.get(edgeKey('news-1'))).toBe('{"g":["mp-use1-news-1","mp-usw2-news-1"]}');
    const d = await edge.handle({ uri: NEWS_MANIFEST });
    expect(d).toMatchObject({ originId: null, uri: NEWS_MANIFEST, rewritten: false, kvsReads: [edgeKey('news-1')] });
    expect(d.originGroup).toEqual({
      originIds: [{ originId: 'mp-use1-news-1' }, { originId: 'mp-usw2-news-1' }],
      failoverCriteria: { statusCodes: [...ORIGIN_GROUP_FAILOVER_STATUS_CODES] },
      selectionCriteria: 'default',
    });
    // Segments too: the request no longer depends on the order the distribution has deployed.
    expect((await edge.handle({ uri: '/live/news-1/hls/seg_1.ts' })).originGroup?.originIds).toEqual([{ originId: 'mp-use1-news-1' }, { originId: 'mp-usw2-news-1' }]);
  });

  it('asks the request origin group to select by media quality when the registry says so (MQAR)', async () => {
    put('kids-1', PRIMARY);
    expect(getChannel(registry, 'kids-1').edge.originSelection).toBe('media-quality-based');
    expect((await edge.handle({ uri: '/live/kids-1/index.m3u8' })).originGroup).toMatchObject({ selectionCriteria: 'media-quality-score' });
  });

  it('leaves a channel on the default origin group when it has no value (a channel without a group, or an older writer)', async () => {
    const d = await edge.handle({ uri: NEWS_MANIFEST });
    expect(d).toMatchObject({ originId: null, uri: NEWS_MANIFEST, rewritten: false, kvsReads: [edgeKey('news-1')] });
    expect(d.originGroup).toBeUndefined();
  });

  it('stays on the behaviour\'s own group when the distribution lacks an origin the value names', async () => {
    put('news-1', { route: 'primary', slate: true });
    const d = await loadEdgeRouter(code, { kvs, originIds: ['mp-use1-news-1'] }).handle({ uri: NEWS_MANIFEST });
    expect(d).toMatchObject({ uri: '/slate/index.m3u8', originId: null });
    expect(d.originGroup).toBeUndefined();
  });

  it('selects the standby origin the value names, for manifests and segments', async () => {
    put('news-1', STANDBY);
    for (const uri of [NEWS_MANIFEST, '/live/news-1/hls/1080p/segment_000123.ts', '/live/news-1/hls/720p.m3u8']) {
      const d = await edge.handle({ uri });
      expect(d.originId).toBe('mp-usw2-news-1');
      expect(d.uri).toBe(uri);
    }
    // Only that channel moves.
    expect((await edge.handle({ uri: '/live/sports-1/index.m3u8' })).originId).toBeNull();
  });

  it('keeps the default for a value it cannot read: the keys before edge:<id>, other JSON, broken fields', async () => {
    const unreadable = ['standby', 'STANDBY', 'on', '', 'null', '[]', '42', '{"o":1}', '{"o":""}', '{"l":"no-slash"}', '{"p":"/a"}', '{"o":"x"'];
    // Broken groups: not two distinct ids, or next to a standby route; a selection flag without a group.
    unreadable.push('{"g":"mp-a"}', '{"g":["mp-a"]}', '{"g":["mp-a","mp-b","mp-c"]}', '{"g":["mp-a",""]}', '{"g":["mp-a","mp-a"]}', '{"g":["mp-a",2]}');
    unreadable.push('{"o":"mp-b","g":["mp-a","mp-b"]}', '{"m":1}', '{"g":["mp-a","mp-b"],"m":true}');
    for (const raw of unreadable) {
      kvs.set(edgeKey('news-1'), raw);
      const d = await edge.handle({ uri: NEWS_MANIFEST });
      expect(d, raw).toMatchObject({ originId: null, uri: NEWS_MANIFEST, rewritten: false });
      expect(d.originGroup, raw).toBeUndefined();
    }
  });

  it('ignores fields it does not know (a newer writer may add some)', async () => {
    kvs.set(edgeKey('news-1'), JSON.stringify({ o: 'mp-usw2-news-1', v: 2, extra: { a: 1 } }));
    expect((await edge.handle({ uri: NEWS_MANIFEST })).originId).toBe('mp-usw2-news-1');
  });

  it('routes any channel the store knows, with no channel table in the function: a new channel needs no publish', async () => {
    kvs.set(edgeKey('brand-new-7'), JSON.stringify({ o: 'mp-usw2-brand-new-7' }));
    expect((await edge.handle({ uri: '/live/brand-new-7/index.m3u8' })).originId).toBe('mp-usw2-brand-new-7');
    // A channel id the store does not know costs one read and stays untouched.
    expect(await edge.handle({ uri: '/live/ghost-9/index.m3u8' })).toMatchObject({ originId: null, rewritten: false, kvsReads: [edgeKey('ghost-9')] });
  });

  it('spends no read on a path segment that cannot be a channel id', async () => {
    const long = 'a'.repeat(508);
    kvs.set(edgeKey('news-1'), edgeValueString(getChannel(registry, 'news-1'), STANDBY)!);
    for (const uri of ['/live/__proto__/index.m3u8', '/live/News-1/index.m3u8', '/live/news_1/index.m3u8', `/live/${long}/index.m3u8`, '/live/news 1/a.m3u8']) {
      expect(await edge.handle({ uri })).toMatchObject({ originId: null, uri, rewritten: false, kvsReads: [] });
    }
    // 507 characters is the longest id whose key edge:<id> fits the 512-byte KVS key limit.
    expect((await edge.handle({ uri: `/live/${'a'.repeat(507)}/index.m3u8` })).kvsReads).toEqual([edgeKey('a'.repeat(507))]);
  });

  it('passes requests outside /live/<channel>/ through untouched', async () => {
    put('news-1', { route: 'standby', slate: true });
    for (const uri of ['/', '/slate/index.m3u8', '/vod/news-1/index.m3u8', '/live', '/live/', '/live/news-1', '/LIVE/news-1/index.m3u8', '/x/live/news-1/index.m3u8']) {
      const d = await edge.handle({ uri });
      expect(d).toMatchObject({ originId: null, uri, rewritten: false, kvsReads: [] });
    }
  });

  it('keeps the query string, headers and method of the request', async () => {
    put('news-1', STANDBY);
    const d = await edge.handle({ uri: '/live/news-1/ll/720p.m3u8', method: 'HEAD', querystring: '_HLS_msn=120&_HLS_part=3', headers: { 'User-Agent': 'player' } });
    expect(d.request?.method).toBe('HEAD');
    expect(d.request?.querystring).toEqual({ _HLS_msn: { value: '120' }, _HLS_part: { value: '3' } });
    expect(d.request?.headers).toEqual({ 'user-agent': { value: 'player' }, [ROUTE_HEADER]: { value: 'o:mp-usw2-news-1' } });
  });
});

describe('the route in the cache key (x-flatline-route)', () => {
  const routeOf = async (uri: string, headers?: Record<string, string>): Promise<string | undefined> =>
    (await edge.handle({ uri, ...(headers ? { headers } : {}) })).request?.headers[ROUTE_HEADER]?.value;

  it('names the route the value gave: the standby origin, or the pinned group by its first member', async () => {
    put('news-1', STANDBY);
    expect(await routeOf(NEWS_MANIFEST)).toBe('o:mp-usw2-news-1');
    expect(await routeOf('/live/news-1/hls/seg_1.ts')).toBe('o:mp-usw2-news-1');
    put('news-1', PRIMARY);
    expect(await routeOf(NEWS_MANIFEST)).toBe('g:mp-use1-news-1');
  });

  it('differs per route for every channel and state the control plane can write, so a flip changes the cache key', async () => {
    for (const channel of registry.channels) {
      const keys = new Set<string>();
      for (const state of [PRIMARY, STANDBY]) {
        put(channel.id, state);
        const d = await edge.handle({ uri: `/live/${channel.id}/index.m3u8` });
        keys.add(`${d.uri}|${d.request?.headers[ROUTE_HEADER]?.value ?? ''}`);
      }
      expect(keys.size, channel.id).toBe(2);
    }
  });

  it('sets nothing without a value (the default route) and for a route it could not take', async () => {
    expect(await routeOf(NEWS_MANIFEST)).toBeUndefined();
    put('news-1', STANDBY);
    const d = await loadEdgeRouter(code, { kvs, originIds: ['mp-use1-news-1'] }).handle({ uri: NEWS_MANIFEST });
    expect(d.originId).toBeNull();
    expect(d.request?.headers[ROUTE_HEADER]).toBeUndefined();
  });

  it("drops a viewer's own x-flatline-route, routed or not: only the function puts routes in the cache key", async () => {
    expect(await routeOf(NEWS_MANIFEST, { 'X-Flatline-Route': 'o:forged' })).toBeUndefined();
    expect(await routeOf('/static/app.js', { 'x-flatline-route': 'o:forged' })).toBeUndefined();
    put('news-1', STANDBY);
    expect(await routeOf(NEWS_MANIFEST, { 'x-flatline-route': 'o:forged' })).toBe('o:mp-usw2-news-1');
  });
});

describe('slate', () => {
  beforeEach(() => put('news-1', { route: 'primary', slate: true }));

  it('rewrites HLS and DASH manifest requests to the slate path the value carries', async () => {
    for (const uri of [NEWS_MANIFEST, '/live/news-1/hls/720p/index.m3u8', '/live/news-1/dash/manifest.mpd', '/live/news-1/INDEX.M3U8']) {
      const d = await edge.handle({ uri });
      expect(d).toMatchObject({ uri: '/slate/index.m3u8', rewritten: true, originId: null });
    }
  });

  it('leaves segment requests alone so players drain their buffer', async () => {
    for (const uri of ['/live/news-1/hls/720p/segment_1.ts', '/live/news-1/cmaf/video_1.m4s', '/live/news-1/cmaf/init.mp4', '/live/news-1/audio/seg.aac', '/live/news-1/index.m3u8.bak']) {
      expect(await edge.handle({ uri })).toMatchObject({ uri, rewritten: false });
    }
  });

  it('is per channel', async () => {
    expect((await edge.handle({ uri: '/live/sports-1/index.m3u8' })).rewritten).toBe(false);
    put('sports-1', { route: 'primary', slate: true });
    put('news-1', PRIMARY);
    expect((await edge.handle({ uri: NEWS_MANIFEST })).rewritten).toBe(false);
    expect((await edge.handle({ uri: '/live/sports-1/index.m3u8' })).uri).toBe('/slate/index.m3u8');
  });

  it('combines with the standby route: slate manifests, standby origin', async () => {
    put('news-1', { route: 'standby', slate: true });
    const d = await edge.handle({ uri: NEWS_MANIFEST });
    expect(d).toMatchObject({ uri: '/slate/index.m3u8', originId: 'mp-usw2-news-1' });
  });
});

describe('fail open', () => {
  it('routes to the default when every store read fails', async () => {
    const faulty = loadEdgeRouter(code, {
      kvs: () => {
        throw new Error('KVS unavailable');
      },
    });
    for (const uri of [NEWS_MANIFEST, '/live/news-1/seg_1.ts', '/live/events-1/seg_1.ts']) {
      const d = await faulty.handle({ uri });
      expect(d).toMatchObject({ uri, originId: null, rewritten: false });
    }
  });

  it('routes to the default when no store is associated with the function', async () => {
    const storeless = loadEdgeRouter(code, {});
    expect(await storeless.handle({ uri: NEWS_MANIFEST })).toMatchObject({ uri: NEWS_MANIFEST, originId: null });
  });

  it('stays on the default when the distribution lacks the standby origin id (and keeps the slate)', async () => {
    const store = new Map([[edgeKey('news-1'), edgeValueString(getChannel(registry, 'news-1'), { route: 'standby', slate: true })!]]);
    const d = await loadEdgeRouter(code, { kvs: store, originIds: ['mp-use1-news-1'] }).handle({ uri: NEWS_MANIFEST });
    expect(d).toMatchObject({ uri: '/slate/index.m3u8', originId: null });
  });
});

describe('path safety: paths with dot segments or encoded separators pass untouched', () => {
  // A request that names one channel and resolves to another must not borrow the first one's route, nor
  // skip the second one's slate, nor reach an origin with a rewritten path that still holds the `..`.
  const unsafe = [
    '/live/news-1/../sports-1/index.m3u8',
    '/live/news-1/./index.m3u8',
    '/live/news-1/hls/..',
    '/live/./news-1/index.m3u8',
    '/live/news-1/%2e%2e/sports-1/index.m3u8',
    '/live/news-1/%2E%2E/sports-1/index.m3u8',
    '/live/news-1/.%2e/sports-1/index.m3u8',
    '/live/news-1%2F..%2Fsports-1/index.m3u8',
    '/live/news-1/..%2fsports-1/index.m3u8',
    '/live/news-1/hls%2Findex.m3u8',
    '/live/news-1/..%5Csports-1/index.m3u8',
    '/live/news-1/..\\sports-1/index.m3u8',
    '/live/events-1/../news-1/seg_1.ts',
    '/live/events-1/./hls/index.m3u8',
  ];

  beforeEach(() => {
    for (const id of ['news-1', 'events-1']) put(id, STANDBY);
    put('sports-1', { route: 'standby', slate: true });
  });

  it.each(unsafe)('%s: no store read, no origin, no rewrite', async (uri) => {
    const d = await edge.handle({ uri });
    expect(d).toMatchObject({ uri, originId: null, rewritten: false, kvsReads: [] });
  });

  it('still routes paths whose names merely contain dots', async () => {
    for (const uri of ['/live/news-1/hls/seg..1.ts', '/live/news-1/.hidden/index.m3u8', '/live/news-1/v1.../a.m3u8']) {
      expect((await edge.handle({ uri })).originId).toBe('mp-usw2-news-1');
    }
    expect((await edge.handle({ uri: '/live/events-1/hls/a..b.ts' })).uri).toBe('/out/v1/bbb222/events-1/hls/a..b.ts');
  });
});

describe('per-origin paths', () => {
  it('rewrites to the primary origin path on the default route, once the value is seeded', async () => {
    // Nothing stored: the function cannot know the paths and leaves the request as it is (fail open);
    // `flatline edge sync` seeds the value of such a channel.
    expect(await edge.handle({ uri: '/live/events-1/hls/index.m3u8' })).toMatchObject({ uri: '/live/events-1/hls/index.m3u8', rewritten: false });
    put('events-1', PRIMARY);
    const d = await edge.handle({ uri: '/live/events-1/hls/index.m3u8' });
    expect(d).toMatchObject({ uri: '/out/v1/aaa111/events-1/hls/index.m3u8', originId: null, rewritten: true });
  });

  it('rewrites to the standby origin path and selects the standby origin on the standby route', async () => {
    put('events-1', STANDBY);
    const d = await edge.handle({ uri: '/live/events-1/hls/seg_9.ts' });
    expect(d).toMatchObject({ uri: '/out/v1/bbb222/events-1/hls/seg_9.ts', originId: 'mp-usw2-events-1' });
  });

  it('keeps the primary path when the standby origin cannot be selected (the request stays on the origin group)', async () => {
    const store = new Map([[edgeKey('events-1'), edgeValueString(getChannel(registry, 'events-1'), STANDBY)!]]);
    const d = await loadEdgeRouter(code, { kvs: store, originIds: ['mp-use1-events-1'] }).handle({ uri: '/live/events-1/seg_1.ts' });
    expect(d).toMatchObject({ uri: '/out/v1/aaa111/events-1/seg_1.ts', originId: null });
  });

  it('sends manifests to the slate path, not an origin path, when the slate is on', async () => {
    put('events-1', { route: 'primary', slate: true });
    expect((await edge.handle({ uri: '/live/events-1/index.m3u8' })).uri).toBe('/slate/events.m3u8');
    expect((await edge.handle({ uri: '/live/events-1/seg_1.ts' })).uri).toBe('/out/v1/aaa111/events-1/seg_1.ts');
  });

  it('does not rewrite channels whose origins serve identical paths', async () => {
    put('news-1', STANDBY);
    expect((await edge.handle({ uri: '/live/news-1/seg_1.ts' })).uri).toBe('/live/news-1/seg_1.ts');
  });
});

describe('contract with the control plane', () => {
  const STATES: EdgeState[] = [PRIMARY, STANDBY, { route: 'primary', slate: true }, { route: 'standby', slate: true }];

  it('reads exactly one key, edge:<id>, per request, manifest or segment', async () => {
    for (const channel of registry.channels) {
      put(channel.id, { route: 'standby', slate: true });
      expect((await edge.handle({ uri: `/live/${channel.id}/index.m3u8` })).kvsReads).toEqual([edgeKey(channel.id)]);
      expect((await edge.handle({ uri: `/live/${channel.id}/seg.ts` })).kvsReads).toEqual([edgeKey(channel.id)]);
    }
  });

  it('follows every route and slate the control plane can write, for every registry channel', async () => {
    for (const channel of registry.channels) {
      for (const state of STATES) {
        put(channel.id, state);
        const manifest = await edge.handle({ uri: `/live/${channel.id}/index.m3u8` });
        const segment = await edge.handle({ uri: `/live/${channel.id}/seg_1.ts` });
        const standby = state.route === 'standby';
        expect(manifest.originId).toBe(standby ? channel.standby.originId : null);
        expect(segment.originId).toBe(standby ? channel.standby.originId : null);
        const group = standby ? undefined : [{ originId: channel.primary.originId }, { originId: channel.standby.originId }];
        expect(manifest.originGroup?.originIds).toEqual(group);
        expect(segment.originGroup?.originIds).toEqual(group);
        if (state.slate) expect(manifest.uri).toBe(channel.edge.slatePath);
        else expect(manifest.uri).not.toBe(channel.edge.slatePath);
        const base = channel.edge.paths === 'per-origin' ? (standby ? channel.standby.originPath : channel.primary.originPath)!.replace(/\/+$/, '') : `/live/${channel.id}`;
        expect(segment.uri).toBe(`${base}/seg_1.ts`);
      }
    }
  });

  it('keeps concurrent requests apart: each gets the origin of its own channel', async () => {
    put('news-1', STANDBY);
    put('kids-1', STANDBY);
    const uris = Array.from({ length: 60 }, (_, i) => `/live/${['news-1', 'sports-1', 'kids-1'][i % 3]}/seg_${i}.ts`);
    const decisions = await Promise.all(uris.map((uri) => edge.handle({ uri })));
    decisions.forEach((d, i) => {
      const expected = i % 3 === 0 ? 'mp-usw2-news-1' : i % 3 === 2 ? 'mp-usw2-kids-1' : null;
      expect(d.originId).toBe(expected);
      expect(d.uri).toBe(uris[i]);
    });
  });
});

// The built edge router, run by the local runtime harness: routing, slate, fail open, per-origin paths, and the
// key contract with the control plane (routing-keys.ts is the one definition both sides use).
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildEdgeRouter } from '../../edge/build.js';
import { loadEdgeRouter, type EdgeRouter } from '../../edge/harness.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import { ROUTE_PRIMARY, ROUTE_STANDBY, SLATE_ON, routeKey, slateKey } from '../../functions/domain/routing-keys.js';
import { registryWithPerOriginChannel } from './registries.js';

let registry: Registry;
let code: string;
const kvs = new Map<string, string>();
let edge: EdgeRouter;

beforeAll(() => {
  registry = registryWithPerOriginChannel();
  code = buildEdgeRouter(registry).code;
  edge = loadEdgeRouter(code, { kvs });
});
beforeEach(() => kvs.clear());

const NEWS_MANIFEST = '/live/news-1/index.m3u8';

describe('routing', () => {
  it('leaves a channel on the default origin group when its route is primary', async () => {
    kvs.set(routeKey('news-1'), ROUTE_PRIMARY);
    const d = await edge.handle({ uri: NEWS_MANIFEST });
    expect(d).toMatchObject({ originId: null, uri: NEWS_MANIFEST, rewritten: false });
  });

  it('leaves a channel on the default origin group when it has no route key', async () => {
    const d = await edge.handle({ uri: NEWS_MANIFEST });
    expect(d).toMatchObject({ originId: null, uri: NEWS_MANIFEST, rewritten: false });
    expect(d.kvsReads).toContain(routeKey('news-1'));
  });

  it('selects the standby origin named in the registry when the route is standby, for manifests and segments', async () => {
    kvs.set(routeKey('news-1'), ROUTE_STANDBY);
    for (const uri of [NEWS_MANIFEST, '/live/news-1/hls/1080p/segment_000123.ts', '/live/news-1/hls/720p.m3u8']) {
      const d = await edge.handle({ uri });
      expect(d.originId).toBe('mp-usw2-news-1');
      expect(d.uri).toBe(uri);
    }
    // Only that channel moves.
    expect((await edge.handle({ uri: '/live/sports-1/index.m3u8' })).originId).toBeNull();
  });

  it('ignores route values other than standby', async () => {
    kvs.set(routeKey('news-1'), 'STANDBY');
    expect((await edge.handle({ uri: NEWS_MANIFEST })).originId).toBeNull();
  });

  it('leaves unknown channels untouched without reading the store', async () => {
    kvs.set(routeKey('ghost-9'), ROUTE_STANDBY);
    kvs.set(slateKey('ghost-9'), SLATE_ON);
    for (const uri of ['/live/ghost-9/index.m3u8', '/live/constructor/index.m3u8', '/live/__proto__/index.m3u8', '/live/hasOwnProperty/a.m3u8']) {
      const d = await edge.handle({ uri });
      expect(d).toMatchObject({ originId: null, uri, rewritten: false, kvsReads: [] });
    }
  });

  it('passes requests outside /live/<channel>/ through untouched', async () => {
    kvs.set(routeKey('news-1'), ROUTE_STANDBY);
    kvs.set(slateKey('news-1'), SLATE_ON);
    for (const uri of ['/', '/slate/index.m3u8', '/vod/news-1/index.m3u8', '/live', '/live/', '/live/news-1', '/LIVE/news-1/index.m3u8', '/x/live/news-1/index.m3u8']) {
      const d = await edge.handle({ uri });
      expect(d).toMatchObject({ originId: null, uri, rewritten: false, kvsReads: [] });
    }
  });

  it('keeps the query string, headers and method of the request', async () => {
    kvs.set(routeKey('news-1'), ROUTE_STANDBY);
    const d = await edge.handle({ uri: '/live/news-1/ll/720p.m3u8', method: 'HEAD', querystring: '_HLS_msn=120&_HLS_part=3', headers: { 'User-Agent': 'player' } });
    expect(d.request?.method).toBe('HEAD');
    expect(d.request?.querystring).toEqual({ _HLS_msn: { value: '120' }, _HLS_part: { value: '3' } });
    expect(d.request?.headers).toEqual({ 'user-agent': { value: 'player' } });
  });
});

describe('slate', () => {
  beforeEach(() => kvs.set(slateKey('news-1'), SLATE_ON));

  it('rewrites HLS and DASH manifest requests to the channel slate path', async () => {
    for (const uri of [NEWS_MANIFEST, '/live/news-1/hls/720p/index.m3u8', '/live/news-1/dash/manifest.mpd', '/live/news-1/INDEX.M3U8']) {
      const d = await edge.handle({ uri });
      expect(d).toMatchObject({ uri: '/slate/index.m3u8', rewritten: true, originId: null });
    }
  });

  it('leaves segment requests alone so players drain their buffer', async () => {
    for (const uri of ['/live/news-1/hls/720p/segment_1.ts', '/live/news-1/cmaf/video_1.m4s', '/live/news-1/cmaf/init.mp4', '/live/news-1/audio/seg.aac', '/live/news-1/index.m3u8.bak']) {
      const d = await edge.handle({ uri });
      expect(d).toMatchObject({ uri, rewritten: false });
      expect(d.kvsReads).not.toContain(slateKey('news-1'));
    }
  });

  it('is off for any value but on, and per channel', async () => {
    kvs.set(slateKey('news-1'), 'off');
    expect((await edge.handle({ uri: NEWS_MANIFEST })).rewritten).toBe(false);
    kvs.set(slateKey('sports-1'), SLATE_ON);
    expect((await edge.handle({ uri: NEWS_MANIFEST })).rewritten).toBe(false);
    expect((await edge.handle({ uri: '/live/sports-1/index.m3u8' })).uri).toBe('/slate/index.m3u8');
  });

  it('combines with the standby route: slate manifests, standby origin', async () => {
    kvs.set(routeKey('news-1'), ROUTE_STANDBY);
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
    for (const uri of [NEWS_MANIFEST, '/live/news-1/seg_1.ts']) {
      const d = await faulty.handle({ uri });
      expect(d).toMatchObject({ uri, originId: null, rewritten: false });
    }
  });

  it('reads each key on its own: a failing route read does not lose the slate', async () => {
    const partly = loadEdgeRouter(code, {
      kvs: (key) => {
        if (key === routeKey('news-1')) throw new Error('throttled');
        return key === slateKey('news-1') ? SLATE_ON : undefined;
      },
    });
    expect(await partly.handle({ uri: NEWS_MANIFEST })).toMatchObject({ uri: '/slate/index.m3u8', originId: null });
  });

  it('routes to the default when no store is associated with the function', async () => {
    const storeless = loadEdgeRouter(code, {});
    expect(await storeless.handle({ uri: NEWS_MANIFEST })).toMatchObject({ uri: NEWS_MANIFEST, originId: null });
  });

  it('stays on the default when the distribution lacks the standby origin id', async () => {
    const d = await loadEdgeRouter(code, { kvs: new Map([[routeKey('news-1'), ROUTE_STANDBY]]), originIds: ['mp-use1-news-1'] }).handle({ uri: NEWS_MANIFEST });
    expect(d).toMatchObject({ uri: NEWS_MANIFEST, originId: null });
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
    for (const id of ['news-1', 'sports-1', 'events-1']) kvs.set(routeKey(id), ROUTE_STANDBY);
    kvs.set(slateKey('sports-1'), SLATE_ON);
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
  it('rewrites to the primary origin path on the default route', async () => {
    const d = await edge.handle({ uri: '/live/events-1/hls/index.m3u8' });
    expect(d).toMatchObject({ uri: '/out/v1/aaa111/events-1/hls/index.m3u8', originId: null, rewritten: true });
  });

  it('rewrites to the standby origin path and selects the standby origin on the standby route', async () => {
    kvs.set(routeKey('events-1'), ROUTE_STANDBY);
    const d = await edge.handle({ uri: '/live/events-1/hls/seg_9.ts' });
    expect(d).toMatchObject({ uri: '/out/v1/bbb222/events-1/hls/seg_9.ts', originId: 'mp-usw2-events-1' });
  });

  it('sends manifests to the slate path, not an origin path, when the slate is on', async () => {
    kvs.set(slateKey('events-1'), SLATE_ON);
    expect((await edge.handle({ uri: '/live/events-1/index.m3u8' })).uri).toBe('/slate/events.m3u8');
    expect((await edge.handle({ uri: '/live/events-1/seg_1.ts' })).uri).toBe('/out/v1/aaa111/events-1/seg_1.ts');
  });

  it('does not rewrite channels whose origins serve identical paths', async () => {
    kvs.set(routeKey('news-1'), ROUTE_STANDBY);
    expect((await edge.handle({ uri: '/live/news-1/seg_1.ts' })).uri).toBe('/live/news-1/seg_1.ts');
  });
});

describe('contract with the control plane', () => {
  it('reads exactly the keys routing-keys.ts names: route then slate for manifests, route only for segments', async () => {
    for (const channel of registry.channels) {
      expect((await edge.handle({ uri: `/live/${channel.id}/index.m3u8` })).kvsReads).toEqual([routeKey(channel.id), slateKey(channel.id)]);
      expect((await edge.handle({ uri: `/live/${channel.id}/seg.ts` })).kvsReads).toEqual([routeKey(channel.id)]);
    }
  });

  it('follows every route and slate value the control plane can write, for every registry channel', async () => {
    for (const channel of registry.channels) {
      kvs.set(routeKey(channel.id), ROUTE_STANDBY);
      kvs.set(slateKey(channel.id), SLATE_ON);
      const flipped = await edge.handle({ uri: `/live/${channel.id}/index.m3u8` });
      expect(flipped.originId).toBe(channel.standby.originId);
      expect(flipped.uri).toBe(channel.edge.slatePath);

      kvs.set(routeKey(channel.id), ROUTE_PRIMARY);
      kvs.delete(slateKey(channel.id));
      const back = await edge.handle({ uri: `/live/${channel.id}/index.m3u8` });
      expect(back.originId).toBeNull();
      expect(back.uri).not.toBe(channel.edge.slatePath);
    }
  });

  it('keeps concurrent requests apart: each gets the origin of its own channel', async () => {
    kvs.set(routeKey('news-1'), ROUTE_STANDBY);
    kvs.set(routeKey('kids-1'), ROUTE_STANDBY);
    const uris = Array.from({ length: 60 }, (_, i) => `/live/${['news-1', 'sports-1', 'kids-1'][i % 3]}/seg_${i}.ts`);
    const decisions = await Promise.all(uris.map((uri) => edge.handle({ uri })));
    decisions.forEach((d, i) => {
      const expected = i % 3 === 0 ? 'mp-usw2-news-1' : i % 3 === 2 ? 'mp-usw2-kids-1' : null;
      expect(d.originId).toBe(expected);
      expect(d.uri).toBe(uris[i]);
    });
  });
});

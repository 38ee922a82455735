// The media world over real loopback HTTP: origins fed by SimChannels, the edge (cache, collapsing,
// origin group failover, router decisions, slate) and the viewers. Clocks are injected where the test
// needs to move time; the viewer test runs in real time with 200 ms segments.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import HLS from 'hls-parser';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import { readCompiledRegistry, type Registry } from '../../functions/domain/registry/index.js';
import { ORIGIN_GROUP_FAILOVER_STATUS_CODES } from '../../functions/domain/routing-keys.js';
import { cacheTtlMs, type EdgeRouter } from '../../sandbox/media/edge.js';
import { LiveFeed, OriginServer } from '../../sandbox/media/origin.js';
import { ViewerFleet } from '../../sandbox/media/viewers.js';
import { startMediaWorld, type MediaWorld } from '../../sandbox/media/media-world.js';
import { SimChannel } from '../../sandbox/media/medialive-channel.js';

const registry: Registry = readRegistryFile('config/registry.example.yml');

async function get(url: string): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  const res = await request(url);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
  return { status: res.statusCode, headers, text: await res.body.text() };
}

function media(text: string): HLS.types.MediaPlaylist {
  const playlist = HLS.parse(text);
  if (playlist.isMasterPlaylist) throw new Error('expected a media playlist');
  return playlist;
}

function running(region: string, channelId: string): SimChannel {
  const c = new SimChannel({ region, channelId });
  c.forceState('RUNNING');
  return c;
}

class Clock {
  t = 1_750_000_000_000;
  now = (): number => this.t;
}

describe('MediaPackage origin fed by a SimChannel', () => {
  const clock = new Clock();
  let origin: OriginServer;
  let channel: SimChannel;
  let feed: LiveFeed;

  beforeAll(async () => {
    origin = await OriginServer.start('us-east-1', { now: clock.now });
    channel = running('us-east-1', '1234567');
    feed = new LiveFeed('news-1', channel, { segmentMs: 1000, windowSegments: 8, now: clock.now });
    origin.addFeed(feed);
  });
  afterAll(() => origin.close());

  it('serves a 6-rendition multivariant playlist and live media playlists with PDT on every segment', async () => {
    const mv = await get(origin.manifestUrl('news-1'));
    expect(mv.status).toBe(200);
    const parsed = HLS.parse(mv.text);
    expect(parsed.isMasterPlaylist).toBe(true);
    const variants = (parsed as HLS.types.MasterPlaylist).variants;
    expect(variants).toHaveLength(6);

    const res = await get(`${origin.url}/live/news-1/${variants[0]!.uri}`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('max-age=1');
    const pl = media(res.text);
    expect(pl.segments).toHaveLength(8);
    expect(pl.segments.every((s) => s.programDateTime instanceof Date)).toBe(true);
    const last = pl.segments.at(-1)!;
    const lastEnd = last.programDateTime!.getTime() + last.duration * 1000;
    expect(lastEnd).toBeLessThanOrEqual(clock.t);
    expect(clock.t - lastEnd).toBeLessThan(1000);
    expect(Number(res.headers['x-mediapackage-manifest-last-updated'])).toBe(lastEnd);

    const seg = await get(`${origin.url}/live/news-1/${last.uri}`);
    expect(seg.status).toBe(200);
    expect(seg.headers['cache-control']).toBe('max-age=14400');
    const future = await get(`${origin.url}/live/news-1/1080p/${pl.mediaSequenceBase! + 20}.ts`);
    expect(future.status).toBe(404);
  });

  it('advances with wall time while the channel produces, and one failed pipeline changes nothing', async () => {
    const before = media((await get(`${origin.url}/live/news-1/720p.m3u8`)).text).mediaSequenceBase!;
    clock.t += 3000;
    channel.setPipelineHealthy('0', false);
    clock.t += 2000;
    const after = media((await get(`${origin.url}/live/news-1/720p.m3u8`)).text).mediaSequenceBase!;
    expect(after - before).toBe(5);
    channel.setPipelineHealthy('0', true);
  });

  it('freezes when both pipelines fail, and resumes after a discontinuity when one recovers', async () => {
    channel.setPipelineHealthy('0', false);
    channel.setPipelineHealthy('1', false);
    const frozen = (await get(`${origin.url}/live/news-1/720p.m3u8`)).text;
    clock.t += 5000;
    const later = await get(`${origin.url}/live/news-1/720p.m3u8`);
    expect(later.text).toBe(frozen);
    expect(feed.ageMs()).toBeGreaterThanOrEqual(5000);

    channel.setPipelineHealthy('1', true);
    clock.t += 2000;
    const resumed = media((await get(`${origin.url}/live/news-1/720p.m3u8`)).text);
    expect(resumed.segments.some((s) => s.discontinuity)).toBe(true);
    expect(feed.ageMs()).toBeLessThan(1000);
    channel.setPipelineHealthy('0', true);
  });

  it('freezes on a packager stall while the channel keeps running', async () => {
    feed.setStalled(true);
    try {
      const stalled = (await get(`${origin.url}/live/news-1/360p.m3u8`)).text;
      clock.t += 4000;
      expect(channel.state).toBe('RUNNING');
      expect(channel.producing).toBe(true);
      expect((await get(`${origin.url}/live/news-1/360p.m3u8`)).text).toBe(stalled);
      expect(feed.ageMs()).toBeGreaterThanOrEqual(4000);
    } finally {
      feed.setStalled(false);
    }
  });

  it('answers 404 on a stale manifest when configured like a MediaPackage v2 STALE_MANIFEST endpoint', async () => {
    clock.t += 1000; // production resumed after the stall
    feed.staleNotFoundAfterMs = 3000;
    channel.applyPause(['0', '1']);
    clock.t += 2000;
    expect((await get(`${origin.url}/live/news-1/720p.m3u8`)).status).toBe(200);
    clock.t += 3000;
    expect((await get(`${origin.url}/live/news-1/720p.m3u8`)).status).toBe(404);
    channel.applyPause([]);
    clock.t += 1000;
    expect((await get(`${origin.url}/live/news-1/720p.m3u8`)).status).toBe(200);
    feed.staleNotFoundAfterMs = null;
  });

  it('epoch-locks two origins: the same segment names and sequence for the same wall time', async () => {
    const standbyOrigin = await OriginServer.start('us-west-2', { now: clock.now });
    try {
      const a = new LiveFeed('kids-1', running('us-east-1', '3456789'), { now: clock.now });
      origin.addFeed(a);
      clock.t += 7300;
      const b = new LiveFeed('kids-1', running('us-west-2', '9876543'), { now: clock.now });
      standbyOrigin.addFeed(b);
      const pa = await get(`${origin.url}/live/kids-1/540p.m3u8`);
      const pb = await get(`${standbyOrigin.url}/live/kids-1/540p.m3u8`);
      expect(pb.text).toBe(pa.text);
    } finally {
      await standbyOrigin.close();
    }
  });

  it('has nothing to serve for a cold standby that never ran', async () => {
    const cold = new LiveFeed('sports-1', new SimChannel({ region: 'us-east-1', channelId: '2345678' }), { now: clock.now });
    origin.addFeed(cold);
    expect((await get(origin.manifestUrl('sports-1'))).status).toBe(404);
    cold.channel.start();
    await new Promise((r) => setTimeout(r, 20)); // SimChannel's start delay (0) runs on a timer
    clock.t += 2000;
    expect((await get(`${origin.url}/live/sports-1/720p.m3u8`)).status).toBe(200);
  });
});

describe('CloudFront edge', () => {
  const clock = new Clock();
  let world: MediaWorld;
  let order: [string, string];
  const routes = new Map<string, string>();
  const channels = new Map<string, SimChannel>();
  const news = registry.channels.find((c) => c.id === 'news-1')!;

  // A stand-in for the real edge function: route:<id> = standby selects the standby origin, slate:<id> =
  // on rewrites manifests to the slate path (the real function runs in the drill tests).
  const router: EdgeRouter = {
    handle: ({ uri }) => {
      const id = uri.split('/')[2] ?? '';
      const channel = registry.channels.find((c) => c.id === id);
      if (!channel) return { uri, originId: null };
      if (routes.get(`slate:${id}`) === 'on' && uri.endsWith('.m3u8')) return { uri: channel.edge.slatePath, originId: null };
      // group:<id> = "<first>,<second>|<codes>": the request's own origin group (cf.createRequestOriginGroup).
      const group = routes.get(`group:${id}`);
      if (group) {
        const [ids, codes] = group.split('|');
        const originGroup = { originIds: ids!.split(',').map((originId) => ({ originId })), failoverCriteria: { statusCodes: codes!.split(',').map(Number) } };
        return { uri, originId: null, originGroup };
      }
      return { uri, originId: routes.get(`route:${id}`) === 'standby' ? channel.standby.originId : null };
    },
  };

  beforeAll(async () => {
    order = [news.primary.originId, news.standby.originId];
    world = await startMediaWorld({
      registry,
      channel: (region, id) => {
        let c = channels.get(`${region}/${id}`);
        if (!c) channels.set(`${region}/${id}`, (c = running(region, id)));
        return c;
      },
      originGroup: () => ({ members: order, failoverStatusCodes: ORIGIN_GROUP_FAILOVER_STATUS_CODES }),
      router,
      feed: { segmentMs: 1000, windowSegments: 6 },
      now: clock.now,
    });
  });
  afterAll(() => world.close());
  afterEach(() => {
    routes.clear();
    world.edge.invalidate();
    order = [news.primary.originId, news.standby.originId];
  });

  it('derives a registry whose manifest URLs are the loopback origins and edge, and compiles it for the handlers', () => {
    const derived = readCompiledRegistry(world.registryPath);
    const c = derived.channels.find((x) => x.id === 'news-1')!;
    expect(c.primary.manifestUrl).toBe(`${world.origin('us-east-1').url}/live/news-1/index.m3u8`);
    expect(c.standby.manifestUrl).toBe(`${world.origin('us-west-2').url}/live/news-1/index.m3u8`);
    expect(c.edge.manifestUrl).toBe(`${world.edge.url}/live/news-1/index.m3u8`);
    expect(c.edge.distributionId).toBe(news.edge.distributionId);
  });

  it('caches by Cache-Control max-age', async () => {
    const url = `${world.edge.url}/live/news-1/720p.m3u8`;
    const fetches = world.edge.stats.originFetches;
    const first = await get(url);
    const second = await get(url);
    expect(first.headers['x-cache']).toBe('Miss from cloudfront');
    expect(second.headers['x-cache']).toBe('Hit from cloudfront');
    expect(world.edge.stats.originFetches - fetches).toBe(1);
    clock.t += 1001;
    expect((await get(url)).headers['x-cache']).toBe('Miss from cloudfront');
    expect(world.edge.stats.originFetches - fetches).toBe(2);
    expect(cacheTtlMs('no-store, max-age=5')).toBeNull();
    expect(cacheTtlMs('public, max-age=14400')).toBe(14_400_000);
  });

  it('collapses concurrent misses for one key into one origin fetch', async () => {
    const fetches = world.edge.stats.originFetches;
    const collapsed = world.edge.stats.collapsed;
    world.origin('us-east-1').setLatency(300); // a slow origin keeps the first fetch in flight
    try {
      const results = await Promise.all(Array.from({ length: 40 }, () => get(`${world.edge.url}/live/news-1/540p.m3u8`)));
      expect(new Set(results.map((r) => r.text)).size).toBe(1);
      expect(world.edge.stats.originFetches - fetches).toBe(1);
      expect(world.edge.stats.collapsed - collapsed).toBe(39);
    } finally {
      world.origin('us-east-1').setLatency(0);
    }
  });

  it('honours the origin group: the first member by default, the second on a 404 from the first, and the current order', async () => {
    expect((await get(`${world.edge.url}/live/news-1/720p.m3u8`)).headers['x-flatline-origin']).toBe(news.primary.originId);

    const primaryFeed = world.feed('news-1', 'primary');
    primaryFeed.staleNotFoundAfterMs = 2000;
    channels.get(`us-east-1/${news.primary.channelId}`)!.applyPause(['0', '1']);
    clock.t += 4000;
    world.edge.invalidate();
    const failovers = world.edge.stats.groupFailovers;
    const res = await get(`${world.edge.url}/live/news-1/720p.m3u8`);
    expect(res.status).toBe(200);
    expect(res.headers['x-flatline-origin']).toBe(news.standby.originId);
    expect(world.edge.stats.groupFailovers - failovers).toBe(1);
    channels.get(`us-east-1/${news.primary.channelId}`)!.applyPause([]);
    primaryFeed.staleNotFoundAfterMs = null;

    order = [news.standby.originId, news.primary.originId];
    world.edge.invalidate();
    expect((await get(`${world.edge.url}/live/news-1/1080p.m3u8`)).headers['x-flatline-origin']).toBe(news.standby.originId);
  });

  it('honours the origin group the edge function creates for the request: its order and its failover codes, not the deployed ones', async () => {
    // The distribution still lists the standby first (a reorder InProgress); the function pins the primary first.
    order = [news.standby.originId, news.primary.originId];
    routes.set('group:news-1', `${news.primary.originId},${news.standby.originId}|404,503`);
    expect((await get(`${world.edge.url}/live/news-1/720p.m3u8`)).headers['x-flatline-origin']).toBe(news.primary.originId);

    // A stale primary answers 404: the request's group fails over on it, one without 404 in its codes does not.
    const primaryFeed = world.feed('news-1', 'primary');
    primaryFeed.staleNotFoundAfterMs = 2000;
    channels.get(`us-east-1/${news.primary.channelId}`)!.applyPause(['0', '1']);
    try {
      clock.t += 4000;
      world.edge.invalidate();
      const failovers = world.edge.stats.groupFailovers;
      expect((await get(`${world.edge.url}/live/news-1/720p.m3u8`)).headers['x-flatline-origin']).toBe(news.standby.originId);
      expect(world.edge.stats.groupFailovers - failovers).toBe(1);
      routes.set('group:news-1', `${news.primary.originId},${news.standby.originId}|503`);
      world.edge.invalidate();
      const res = await get(`${world.edge.url}/live/news-1/720p.m3u8`);
      expect(res.status).toBe(404);
      expect(res.headers['x-flatline-origin']).toBe(news.primary.originId);
    } finally {
      channels.get(`us-east-1/${news.primary.channelId}`)!.applyPause([]);
      primaryFeed.staleNotFoundAfterMs = null;
    }
  });

  it('sends the request to the origin the edge function selects', async () => {
    routes.set('route:news-1', 'standby');
    const res = await get(`${world.edge.url}/live/news-1/234p.m3u8`);
    expect(res.headers['x-flatline-origin']).toBe(news.standby.originId);
  });

  it('serves the slate for manifests the function rewrites, and its segments', async () => {
    routes.set('slate:news-1', 'on');
    const res = await get(`${world.edge.url}/live/news-1/720p.m3u8`);
    expect(res.status).toBe(200);
    const pl = media(res.text);
    expect(pl.segments.length).toBeGreaterThan(0);
    const last = pl.segments.at(-1)!;
    expect(last.uri).toMatch(/^\/slate\/slate-\d+\.ts$/);
    expect(clock.t - (last.programDateTime!.getTime() + 1000)).toBeLessThan(1000);
    expect((await get(`${world.edge.url}${last.uri}`)).status).toBe(200);
    // segments of the channel are left alone so players drain what they have
    expect((await get(`${world.edge.url}/live/news-1/720p/${pl.mediaSequenceBase}.ts`)).headers['x-flatline-origin']).not.toBe('slate');
  });
});

describe('viewers', () => {
  let world: MediaWorld;
  let fleet: ViewerFleet;
  let order: [string, string];
  const primary = running('us-east-1', '1234567');
  const news = registry.channels.find((c) => c.id === 'news-1')!;

  beforeAll(async () => {
    order = [news.primary.originId, news.standby.originId];
    const one: Registry = { channels: [news] };
    world = await startMediaWorld({
      registry: one,
      channel: (region, id) => (region === 'us-east-1' ? primary : running(region, id)),
      originGroup: () => ({ members: order, failoverStatusCodes: ORIGIN_GROUP_FAILOVER_STATUS_CODES }),
      feed: { segmentMs: 200, windowSegments: 8, manifestMaxAgeS: 0 }, // 200 ms segments: a 1 s manifest TTL would starve them
    });
    fleet = new ViewerFleet({ edgeUrl: world.edge.url, channelId: 'news-1', count: 60, targetDurationMs: 200, slots: 5, renditions: ['720p', '360p'] });
  });
  afterAll(async () => {
    await fleet.stop();
    await world.close();
  });

  async function until(what: string, cond: () => boolean, limitMs = 8000): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('play without stalls on a healthy stream, all stall when the edge freezes, and recover after the flip', async () => {
    fleet.start();
    await until('every viewer started', () => fleet.allStarted);
    await new Promise((r) => setTimeout(r, 600));
    expect(fleet.snapshot().stalled).toBe(0);
    expect(fleet.summary().stalls).toBe(0);

    primary.setPipelineHealthy('0', false);
    primary.setPipelineHealthy('1', false);
    await until('every viewer stalled', () => fleet.snapshot().stalled === 60);
    // The primary's newest media end: every viewer watched it, none has played past it yet.
    const frozenEnd = world.feed('news-1', 'primary').lastUpdatedMs()!;
    expect(fleet.backOnFreshMedia(frozenEnd)).toEqual(Array.from({ length: 60 }, () => null));

    const flippedAt = Date.now();
    order = [news.standby.originId, news.primary.originId];
    await until('every viewer playing again', () => fleet.snapshot().stalled === 0);
    // Back on fresh manifests, as each viewer saw it: after the flip, and with media newer than the freeze.
    const back = fleet.backOnFreshMedia(frozenEnd);
    expect(back).toHaveLength(60);
    for (const at of back) expect(at).toBeGreaterThanOrEqual(flippedAt);
    // Measured against a later media end, the viewers that have not played past it are not back.
    expect(fleet.backOnFreshMedia(Date.now() + 60_000).length).toBe(60);
    expect(fleet.backOnFreshMedia(Date.now() + 60_000).every((at) => at === null)).toBe(true);
    const summary = fleet.summary();
    expect(summary.viewersStalled).toBe(60);
    expect(summary.longestStallMs).toBeGreaterThan(0);
    expect(summary.rebufferRatio).toBeGreaterThan(0);
    expect(summary.rebufferRatio).toBeLessThan(1);
    // 6 viewers of one slot and rendition share one playlist and one segment request
    const viewerPolls = summary.watchMs / 200;
    expect(world.edge.stats.requests).toBeLessThan(viewerPolls / 2);
  });
});

describe('viewer reloads (RFC 8216 §6.3.4, as hls.js does)', () => {
  // One viewer against a playlist the test controls; the wheel driven by hand: 10 slots per TD.
  let newest = 100;
  const loads: number[] = [];
  let tick = 0;
  const playlist = (): string => {
    const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${newest - 2}`];
    for (let n = newest - 2; n <= newest; n++) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(1_750_000_000_000 + n * 2000).toISOString()}`, '#EXTINF:2.0,', `seg-${n}.ts`);
    return lines.join('\n') + '\n';
  };
  const server = createServer((req, res) => {
    if (req.url?.endsWith('.m3u8')) loads.push(tick);
    res.writeHead(200, { 'content-type': req.url?.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t' });
    res.end(req.url?.endsWith('.m3u8') ? playlist() : 'x');
  });
  let fleet: ViewerFleet;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fleet = new ViewerFleet({ edgeUrl: `http://127.0.0.1:${port}`, channelId: 'c', count: 1, targetDurationMs: 2000, slots: 10, renditions: ['720p'] });
  });
  afterAll(async () => {
    await fleet.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reloads a TD after a changed playlist and half a TD after an unchanged one', async () => {
    const run = async (ticks: number, changeAt: Set<number> = new Set()) => {
      for (let i = 0; i < ticks; i++, tick++) {
        if (changeAt.has(tick)) newest++;
        await fleet.tick();
      }
    };
    // tick 0: the first load (new to the viewer); 10: unchanged, so 15 and 20; the segment appears before 25,
    // which finds it changed: the next at 35, unchanged again, then 40
    await run(41, new Set([23]));
    expect(loads).toEqual([0, 10, 15, 20, 25, 35, 40]);
  });
});

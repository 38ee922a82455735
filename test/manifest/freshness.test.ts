// checkManifestFreshness against a real HTTP origin on loopback: fresh, stale, 404, timeout, a multivariant
// playlist with one frozen rendition while the others advance. The clock is injected (`now`), so the verdicts
// do not depend on how fast the machine is.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkManifestFreshness } from '../../functions/domain/manifest/index.js';
import { livePlaylist, multivariantPlaylist } from '../../sandbox/media/hls.js';

const NOW = Date.parse('2024-05-24T15:00:00.000Z');
const now = () => NOW;
/** A live playlist (2 s segments, TD 2) whose newest segment ended `ageS` seconds before NOW. */
const playlistAged = (ageS: number, mediaSequence = 1000) =>
  livePlaylist({ mediaSequence, segments: 6, segmentDuration: 2, firstPdtMs: NOW - ageS * 1000 - 12_000 });

/** A multivariant playlist over renditions at <name>/index.m3u8, 640x360 at 1 Mb/s upwards. */
const ladder = (names: string[]) =>
  multivariantPlaylist(
    names.map((name, i) => ({ name, uri: `${name}/index.m3u8`, bandwidth: (i + 1) * 1_000_000, resolution: `${640 * (i + 1)}x${360 * (i + 1)}`, codecs: 'avc1.64001f,mp4a.40.2' })),
  );

let server: Server;
let base = '';
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/fresh.m3u8': (_q, res) => res.writeHead(200, { 'cache-control': 'max-age=1' }).end(playlistAged(1)),
  '/stale.m3u8': (_q, res) => res.writeHead(200, { 'cache-control': 'max-age=1' }).end(playlistAged(20)),
  '/cached-too-long.m3u8': (_q, res) => res.writeHead(200, { 'cache-control': 'max-age=30' }).end(playlistAged(1)),
  '/vod.m3u8': (_q, res) => res.writeHead(200).end(livePlaylist({ mediaSequence: 0, segments: 3, segmentDuration: 2, firstPdtMs: NOW - 3000, endlist: true })),
  '/nopdt.m3u8': (_q, res) => res.writeHead(200).end(livePlaylist({ mediaSequence: 0, segments: 3, segmentDuration: 2, firstPdtMs: null })),
  '/mp-nopdt.m3u8': (_q, res) =>
    res.writeHead(200, { 'x-mediapackage-manifest-last-updated': String(NOW - 1500) }).end(livePlaylist({ mediaSequence: 0, segments: 3, segmentDuration: 2, firstPdtMs: null })),
  '/hang.m3u8': () => undefined, // never answers
  '/ladder/index.m3u8': (_q, res) => res.writeHead(200).end(ladder(['r0', 'r1', 'r2'])),
  '/ladder/r0/index.m3u8': (_q, res) => res.writeHead(200).end(playlistAged(1)),
  '/ladder/r1/index.m3u8': (_q, res) => res.writeHead(200).end(playlistAged(0.5)),
  // frozen: stopped advancing 30 s ago while the others advance
  '/ladder/r2/index.m3u8': (_q, res) => res.writeHead(200).end(playlistAged(30, 985)),
  '/healthy/index.m3u8': (_q, res) => res.writeHead(200).end(ladder(['r0', 'r1'])),
  '/healthy/r0/index.m3u8': (_q, res) => res.writeHead(200).end(playlistAged(1)),
  '/healthy/r1/index.m3u8': (_q, res) => res.writeHead(200).end(playlistAged(2.5)),
  '/broken/index.m3u8': (_q, res) => res.writeHead(200).end(ladder(['r0', 'missing'])),
  '/broken/r0/index.m3u8': (_q, res) => res.writeHead(200).end(playlistAged(1)),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (route) route(req, res);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const check = (path: string, timeoutMs = 2000) =>
  checkManifestFreshness(`${base}${path}`, { staleAfterTargetDurations: 1.5, now, timeoutMs });

describe('checkManifestFreshness', () => {
  it('fresh: age below 1.5 target durations', async () => {
    const v = await check('/fresh.m3u8');
    expect(v).toMatchObject({ fresh: true, ageMs: 1000, thresholdMs: 3000, targetDuration: 2 });
    expect(v.renditions).toEqual([{ name: 'manifest', url: `${base}/fresh.m3u8`, ageMs: 1000, status: 200, problems: [] }]);
    expect(v.reason).toMatch(/^fresh/);
  });

  it('stale: age above the threshold, with the numbers in the reason', async () => {
    const v = await check('/stale.m3u8');
    expect(v).toMatchObject({ fresh: false, ageMs: 20_000, thresholdMs: 3000 });
    expect(v.reason).toContain('20.0 s old');
  });

  it('a manifest cached too long is still fresh but carries the caching problem', async () => {
    const v = await check('/cached-too-long.m3u8');
    expect(v.fresh).toBe(true);
    expect(v.renditions[0]?.problems.map((p) => p.code)).toEqual(['manifest-max-age-too-long']);
  });

  it('HTTP 404: not fresh, status and problem recorded, no throw', async () => {
    const v = await check('/nope.m3u8');
    expect(v).toMatchObject({ fresh: false, ageMs: null });
    expect(v.renditions[0]).toMatchObject({ status: 404, problems: [{ code: 'http-error' }] });
    expect(v.reason).toContain('HTTP 404');
  });

  it('timeout: not fresh with a timeout problem', async () => {
    const v = await check('/hang.m3u8', 200);
    expect(v.fresh).toBe(false);
    expect(v.renditions[0]).toMatchObject({ status: null, problems: [{ code: 'timeout' }] });
    expect(v.reason).toContain('within 200 ms');
  });

  it('connection refused: not fresh with a fetch-failed problem', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const v = await checkManifestFreshness(`http://127.0.0.1:${port}/x.m3u8`, { staleAfterTargetDurations: 1.5, now });
    expect(v.fresh).toBe(false);
    expect(v.renditions[0]?.problems[0]?.code).toBe('fetch-failed');
  });

  it('a multivariant stream is as old as its oldest rendition: one frozen rendition => not fresh', async () => {
    const v = await check('/ladder/index.m3u8');
    expect(v.fresh).toBe(false);
    expect(v.ageMs).toBe(30_000);
    expect(v.renditions.map((r) => [r.name, r.ageMs, r.status])).toEqual([
      ['640x360@1000k', 1000, 200],
      ['1280x720@2000k', 500, 200],
      ['1920x1080@3000k', 30_000, 200],
    ]);
    expect(v.reason).toContain('1920x1080@3000k');
  });

  it('a multivariant stream whose renditions all advance is fresh', async () => {
    const v = await check('/healthy/index.m3u8');
    expect(v).toMatchObject({ fresh: true, ageMs: 2500, thresholdMs: 3000 });
  });

  it('a missing rendition makes the stream not fresh', async () => {
    const v = await check('/broken/index.m3u8');
    expect(v.fresh).toBe(false);
    expect(v.reason).toContain('HTTP 404');
  });

  it('with producedSince: young is not enough, the stream needs media ending after that instant', async () => {
    const since = (ms: number) => checkManifestFreshness(`${base}/healthy/index.m3u8`, { staleAfterTargetDurations: 1.5, now, producedSince: ms });
    // its oldest rendition's newest media ended 2.5 s before NOW
    const ok = await since(NOW - 3000);
    expect(ok).toMatchObject({ fresh: true, mediaEndMs: NOW - 2500 });
    expect(ok).not.toHaveProperty('newMediaDueAt');
    const v = await since(NOW - 1000);
    // it must show new media by the time its newest would be stale: 2.5 s ago + 3 s
    expect(v).toMatchObject({ fresh: false, ageMs: 2500, thresholdMs: 3000, mediaEndMs: NOW - 2500, newMediaDueAt: NOW + 500 });
    expect(v.reason).toBe(`no new media since ${new Date(NOW - 1000).toISOString()}: rendition 1280x720@2000k's newest media ended 1.5 s before it`);
    // a stale stream stays stale, whatever the instant
    expect((await checkManifestFreshness(`${base}/stale.m3u8`, { staleAfterTargetDurations: 1.5, now, producedSince: NOW - 60_000 })).reason).toContain('20.0 s old');
  });

  it('an ended playlist or one without any wall clock is not fresh; MediaPackage last-updated is a second opinion', async () => {
    expect((await check('/vod.m3u8')).reason).toContain('ended');
    const nopdt = await check('/nopdt.m3u8');
    expect(nopdt.fresh).toBe(false);
    expect(nopdt.reason).toContain('no wall clock');
    expect(await check('/mp-nopdt.m3u8')).toMatchObject({ fresh: true, ageMs: 1500 });
  });
});

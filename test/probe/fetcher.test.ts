// The fetcher's results for every way a request can end (never a throw), and a DASH origin probed as one path,
// with a real MPD (livesim2 output, test/fixtures/manifests) served over loopback.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeManifest } from '../../functions/domain/manifest/index.js';
import { createFetcher, PathProbe, type Fetcher } from '../../functions/domain/probe/index.js';

const MPD = readFileSync(new URL('../fixtures/manifests/dash-dyn__timeline-time-publishtime__livesim2__testpic_2s_1.mpd', import.meta.url), 'utf8');

let server: Server;
let base = '';
let fetcher: Fetcher;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok.m3u8') res.writeHead(200, { 'cache-control': 'max-age=1', 'x-test': ['a', 'b'] }).end('#EXTM3U\n');
    else if (req.url === '/live.mpd') res.writeHead(200, { 'content-type': 'application/dash+xml', 'cache-control': 'max-age=1' }).end(MPD);
    else if (req.url === '/big') res.writeHead(200, { 'content-length': String(64 * 1024) }).end('x'.repeat(64 * 1024));
    else res.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fetcher = createFetcher({ timeoutMs: 2000, maxBodyBytes: 1024 });
});
afterAll(async () => {
  await fetcher.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('fetcher', () => {
  it('returns status, lower-cased headers (repeats joined) and the body', async () => {
    const r = await fetcher.get(`${base}/ok.m3u8`);
    expect(r).toMatchObject({ ok: true, status: 200, body: '#EXTM3U\n' });
    expect(r.headers['cache-control']).toBe('max-age=1');
    expect(r.headers['x-test']).toBe('a, b');
    expect(r.error).toBeUndefined();
  });

  it('returns an HTTP error as a result with its body', async () => {
    const r = await fetcher.get(`${base}/missing`);
    expect(r).toMatchObject({ ok: false, status: 404, body: 'not here', error: { code: 'http-status', message: 'HTTP 404' } });
  });

  it('returns a refused connection as a network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await fetcher.get(`http://127.0.0.1:${port}/x.m3u8`);
    expect(r).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'network' } });
    expect(r.error?.message).toMatch(/ECONNREFUSED/);
  });

  it('refuses a body over the limit and a URL that is not one', async () => {
    expect(await fetcher.get(`${base}/big`)).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'too-large' } });
    expect(await fetcher.get('not a url')).toMatchObject({ ok: false, status: 0, error: { code: 'invalid-url' } });
  });
});

describe('a DASH path', () => {
  it('is probed as a single rendition, aged by its timeline', async () => {
    const liveEdge = analyzeManifest(MPD, { now: 0 }).liveEdge;
    expect(liveEdge).not.toBeNull();
    let t = Date.parse(liveEdge as string) + 1000;
    const dashFetcher = createFetcher({ timeoutMs: 2000 });
    const probe = new PathProbe(`${base}/live.mpd`, { fetcher: dashFetcher, now: () => t, staleAfterTargetDurations: 1.5 });
    const fresh = await probe.observe();
    expect(fresh.format).toBe('dash');
    expect(fresh.renditions).toHaveLength(1);
    expect(fresh.renditions[0]).toMatchObject({ status: 'fresh', ageMs: 1000 });
    expect(fresh.verdict).toBe('fresh');
    // The same MPD a minute later: nothing new was published.
    t += 60_000;
    const stale = await probe.observe();
    expect(stale.renditions[0]).toMatchObject({ status: 'stale', ageMs: 61_000 });
    expect(stale.verdict).toBe('stale');
    await dashFetcher.close();
  });
});

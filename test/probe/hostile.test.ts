// A hostile origin against the probe, over real loopback sockets: an endless chunked body, an MPD whose
// timeline cannot be computed, a playlist whose clock runs ahead while its media is frozen. The probe never
// throws, never buffers without bound, and never calls such a path fresh.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetcher, PathProbe, type Fetcher } from '../../functions/domain/probe/index.js';

const T0 = Date.parse('2024-05-24T15:00:00.000Z');
let t = T0;
const clock = () => t;

const BAD_MPD = `<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" availabilityStartTime="2024-05-24T14:00:00Z">
  <Period start="PT0S"><AdaptationSet><SegmentTemplate timescale="0" media="$Time$.m4s">
    <SegmentTimeline><S t="0" d="2000" r="9"/></SegmentTimeline></SegmentTemplate><Representation id="v"/></AdaptationSet></Period>
</MPD>`;

/** Frozen media whose PDT says it ends a minute from T0. */
const FUTURE = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:50', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:58Z', '#EXTINF:2,', 'a.ts', ''].join('\n');

let server: Server;
let base = '';
let fetcher: Fetcher;
/** Bytes the endless response managed to write before the client hung up, and whether it did. */
const endless = { written: 0, closed: false };

function stream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }); // no Content-Length: chunked
  const chunk = `#EXTINF:2,\n${'x'.repeat(1000)}.ts\n`;
  const pump = (): void => {
    while (!res.destroyed) {
      endless.written += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  res.on('close', () => {
    endless.closed = true;
  });
  pump();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/endless.m3u8') stream(res);
    else if (req.url === '/chunked.m3u8') {
      // Under the limit, in chunks that split a multi-byte character: the body is decoded whole.
      res.writeHead(200);
      const bytes = Buffer.from('#EXTM3U\n# café ✓\n', 'utf8');
      for (let i = 0; i < bytes.length; i += 3) res.write(bytes.subarray(i, i + 3));
      res.end();
    } else if (req.url === '/bad.mpd') res.writeHead(200, { 'cache-control': 'max-age=1' }).end(BAD_MPD);
    else if (req.url === '/future.m3u8') res.writeHead(200, { 'cache-control': 'max-age=1' }).end(FUTURE);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fetcher = createFetcher({ timeoutMs: 2000, maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await fetcher.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the fetcher against hostile bodies', () => {
  it('cuts an endless chunked body once it passes the limit, and hangs up', async () => {
    const r = await fetcher.get(`${base}/endless.m3u8`);
    expect(r).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'too-large' } });
    await expect.poll(() => endless.closed).toBe(true);
    // The server kept writing until the socket was gone; the client read little more than the limit.
    expect(endless.written).toBeGreaterThan(64 * 1024);
  });

  it('reads a chunked body under the limit whole, multi-byte characters split across chunks included', async () => {
    const r = await fetcher.get(`${base}/chunked.m3u8`);
    expect(r).toMatchObject({ ok: true, status: 200, body: '#EXTM3U\n# café ✓\n' });
  });
});

describe('the probe against hostile manifests', () => {
  it('an MPD with timescale="0" is an error rendition (stale path), not a throw', async () => {
    t = T0;
    const obs = await new PathProbe(`${base}/bad.mpd`, { fetcher, now: clock, staleAfterTargetDurations: 1.5 }).observe();
    expect(obs.verdict).toBe('stale');
    expect(obs.renditions[0]?.status).toBe('error');
    expect(obs.renditions[0]?.problems.map((p) => p.code)).toContain('invalid-timeline');
  });

  it('a PDT a minute ahead hides nothing: the age falls back to the media-sequence tracker', async () => {
    t = T0;
    const probe = new PathProbe(`${base}/future.m3u8`, { fetcher, now: clock, staleAfterTargetDurations: 1.5 });
    const first = await probe.observe();
    expect(first.renditions[0]?.problems.map((p) => p.code)).toContain('future-media-time');
    expect(first.verdict).not.toBe('fresh');
    t += 2000;
    expect((await probe.observe()).verdict).toBe('fresh'); // 2 s without a new segment: within 1.5 x 2 s
    t += 2000;
    const frozen = await probe.observe();
    expect(frozen.verdict).toBe('stale');
    expect(frozen.ageMs).toBe(4000);
  });
});

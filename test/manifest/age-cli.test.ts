// `flatline age` as a user runs it: a child process through bin/flatline.js.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/manifests/', import.meta.url));
const LLHLS = `${FIXTURES}llhls__rfc8216bis-example1__kuu-hls-parser__Low-Latency_Example-01_Low-Latency_HLS_Playlist.m3u8`;

function age(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/flatline.js', 'age', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/live.m3u8') {
      res.writeHead(200, { 'cache-control': 'max-age=1' });
      res.end('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:00Z\n#EXTINF:2,\na.ts\n');
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('flatline age', () => {
  it('--json prints the analysis of a file with a fixed --now', async () => {
    const r = await age([LLHLS, '--now', '2019-02-14T02:14:06Z', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      format: 'hls-media', live: true, newestMediaEnd: '2019-02-14T02:14:04.106Z', liveEdge: '2019-02-14T02:14:05.106Z',
      ageMs: 894, mediaSequence: 266, targetDuration: 4, segments: 7, problems: [],
    });
  });

  it('prints an aligned table by default, problems included', async () => {
    const r = await age([`${FIXTURES}hls-live-nopdt__no-trailing-newline__videojs-m3u8-parser__liveStart30sBefore.m3u8`, '--now', '2020-01-01T00:00:00Z']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    for (const key of ['format', 'live', 'newestMediaEnd', 'liveEdge', 'ageMs', 'mediaSequence', 'targetDuration', 'segments', 'problems']) {
      expect(lines.some((l) => l.startsWith(`${key} `))).toBe(true);
    }
    // values start in one column
    const col = lines[0]?.indexOf('hls-media');
    expect(lines.find((l) => l.startsWith('segments'))?.indexOf('9')).toBe(col);
    expect(r.stdout).toContain('segment-exceeds-target-duration');
  });

  it('reads a URL', async () => {
    const r = await age([`${base}/live.m3u8`, '--now', '2024-05-24T15:00:05Z', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ageMs: 3000, mediaSequence: 7 });
  });

  it('an unparseable document: format unknown, a problem, exit 0', async () => {
    const r = await age([fileURLToPath(new URL('../fixtures/SOURCES.md', import.meta.url)), '--json']);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as { format: string; problems: Array<{ code: string }> };
    expect(a.format).toBe('unknown');
    expect(a.problems[0]?.code).toBe('unrecognized-document');
  });

  it('exit 2 with a clear error: missing file, HTTP error, bad --now, no argument', async () => {
    const missing = await age(['does/not/exist.m3u8']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read does/not/exist.m3u8');
    const http = await age([`${base}/gone.m3u8`]);
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('HTTP 404');
    const badNow = await age([LLHLS, '--now', 'yesterday']);
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toContain('--now');
    expect((await age([])).code).toBe(2);
  });
});

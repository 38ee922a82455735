// `flatline probe` against a loopback origin: a stream URL and a registry channel, --once exit codes, the table.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { run } from '../../cli/commands/probe.js';
import { DEFAULT_LADDER, LiveOrigin } from '../../sandbox/testkit/live-origin.js';
import { fleetDocument } from '../../sandbox/testkit/fleet.js';
import { shardOf } from '../../functions/domain/probe/index.js';

// 4 s segments (threshold 6 s): a fresh stream stays fresh even when a loaded machine delays a response.
const origin = new LiveOrigin({ segmentS: 4 });
let registryFile = '';
let out: string[] = [];
let err: string[] = [];

beforeAll(async () => {
  await origin.start();
  registryFile = join(mkdtempSync(join(tmpdir(), 'flatline-probe-cli-')), 'registry.yml');
  writeFileSync(registryFile, stringify(fleetDocument(origin.base, ['news-1', 'sports-1'])));
});
afterAll(() => origin.close());
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return () => vi.restoreAllMocks();
});

const lines = () => out.join('').split('\n');

describe('flatline probe', () => {
  it('--once on a fresh multivariant stream prints one row per rendition and exits 0', async () => {
    const code = await run([origin.url('cli-a/primary'), '--once']);
    expect(code).toBe(0);
    const text = lines();
    expect(text[1]).toMatch(/^PATH\s+RENDITION\s+AGE\s+x TD\s+SEQ\s+STATUS\s+PROBLEMS$/);
    const rows = text.filter((l) => l.startsWith('stream'));
    expect(rows).toHaveLength(DEFAULT_LADDER.length + 1);
    for (const r of rows.slice(0, -1)) expect(r).toMatch(/\s\d+\.\d\d s\s.*\sfresh/);
    expect(rows.at(-1)).toMatch(/= oldest .*> 6\.00 s\s+fresh/);
  });

  it('--once exits 1 when one rendition is frozen, and names it', async () => {
    origin.set('cli-b/primary', { stallAt: Date.now() - 12_000 }, '360p');
    const code = await run([origin.url('cli-b/primary'), '--once']);
    expect(code).toBe(1);
    const frozen = lines().find((l) => /^stream\s+\S*360p/.test(l) || /^stream\s+640x360/.test(l));
    expect(frozen).toMatch(/stale/);
    expect(lines().filter((l) => /\sfresh/.test(l) && !l.includes('= oldest'))).toHaveLength(DEFAULT_LADDER.length - 1);
  });

  it('watches all three paths of a registry channel for --ticks looks, appending when not a terminal', async () => {
    origin.set('news-1/edge', { status: 502 });
    const code = await run(['news-1', '--registry', registryFile, '--ticks', '2', '--interval', '10ms']);
    expect(code).toBe(1);
    const headers = lines().filter((l) => /^\d{4}-\d\d-\d\dT.*news-1: /.test(l));
    expect(headers).toHaveLength(2);
    expect(headers[1]).toMatch(/edge stale while primary origin fresh: CDN caching, not an origin outage/);
    expect(lines().filter((l) => l.startsWith('edge') && l.includes('(playlist)') && /error \(stale\)/.test(l))).toHaveLength(1);
    expect(lines().filter((l) => l.startsWith('primary') && l.includes('= oldest'))).toHaveLength(2);
    expect(lines().filter((l) => l.startsWith('standby') && l.includes('= oldest'))).toHaveLength(2);
    origin.clear('news-1/edge');
  });

  it('--json prints one JSON document per look', async () => {
    const code = await run([origin.url('cli-c/primary'), '--once', '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(out.join('')) as { paths: Array<{ observation: { verdict: string; renditions: unknown[] } }> };
    expect(doc.paths[0]?.observation.verdict).toBe('fresh');
    expect(doc.paths[0]?.observation.renditions).toHaveLength(DEFAULT_LADDER.length);
  });

  it('exits 2 on an unknown channel or bad arguments', async () => {
    expect(await run(['nope-1', '--registry', registryFile, '--once'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown channel "nope-1"/);
    expect(await run([])).toBe(2);
    expect(await run([origin.url('x'), '--interval', 'soon'])).toBe(2);
    expect(err.join('\n')).toMatch(/--interval: "soon" is not a duration/);
  });

  it('--shard watches every channel of a probe shard, a line each, and exits 1 when a path of one is stale', async () => {
    expect(await run(['--shard', '0/1', '--registry', registryFile, '--once'])).toBe(0);
    expect(lines()[0]).toMatch(/shard 0\/1: 2 channels, 0 with a stale path$/);
    expect(lines()[1]).toMatch(/^CHANNEL\s+EDGE\s+PRIMARY\s+STANDBY\s+DIAGNOSIS$/);
    for (const id of ['news-1', 'sports-1']) expect(lines().find((l) => l.startsWith(id))).toMatch(new RegExp(`^${id}\\s+fresh \\d+\\.\\d\\d s\\s+fresh \\d+\\.\\d\\d s\\s+fresh \\d+\\.\\d\\d s\\s+\\S`));
    out = [];
    origin.set('sports-1/primary', { stallAt: Date.now() - 12_000 }, '540p');
    try {
      expect(await run(['--shard', '0/1', '--registry', registryFile, '--once'])).toBe(1);
      expect(lines()[0]).toMatch(/2 channels, 1 with a stale path$/);
      expect(lines().find((l) => l.startsWith('sports-1'))).toMatch(/^sports-1\s+fresh \S+ s\s+stale \d+\.\d\d s\s+fresh/);
      expect(lines().find((l) => l.startsWith('news-1'))).toMatch(/^news-1\s+fresh \S+ s\s+fresh/);
    } finally {
      origin.clear('sports-1/primary', '540p');
    }
  });

  it('--shard takes only the channels that hash to the shard, and is refused with a channel, or when out of range', async () => {
    // A shard count that puts the two channels in different shards: news-1's holds news-1 alone.
    const n = [2, 3, 4, 5, 6, 7, 8].find((k) => shardOf('news-1', k) !== shardOf('sports-1', k))!;
    expect(await run(['--shard', `${shardOf('news-1', n)}/${n}`, '--registry', registryFile, '--once', '--json'])).toBe(0);
    const doc = JSON.parse(out.join('')) as { channels: Array<{ channelId: string }> };
    expect(doc.channels.map((c) => c.channelId)).toEqual(['news-1']);
    expect(await run(['news-1', '--shard', '0/1', '--registry', registryFile, '--once'])).toBe(2);
    expect(await run(['--shard', '2/2', '--registry', registryFile, '--once'])).toBe(2);
    expect(err.join('\n')).toMatch(/shard "2\/2" is not "i\/n" with 0 <= i < n/);
  });
});

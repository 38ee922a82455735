// What the probe pays per manifest, against a full parse: on the 40,001-segment fixture and on a 6-rendition
// LL-HLS ladder, side by side with hls-parser and m3u8-parser (interleaved in rounds in the same process, so
// machine load skews every candidate alike). The row with the goal is the production path: ManifestReader,
// which PathProbe runs on every rendition fetch (the full contract pass at most every 30 s per rendition, the
// tail-first age on the fetches in between), fed the playlist as a live packager serves it, one segment
// later on every fetch, one fetch per target duration. CPU time (user + system) is measured per manifest.
import { readFileSync } from 'node:fs';
import HLS from 'hls-parser';
import { Parser } from 'm3u8-parser';
import { analyzeManifest, DEFAULT_CONTRACT_CHECK_MS, ManifestReader, manifestAge } from '../functions/domain/manifest/index.js';
import { livePlaylist } from '../sandbox/media/hls.js';
import type { BenchRow, BenchSection } from './types.js';

const HUGE = new URL('../test/fixtures/manifests/edge-hls__huge-40001-segments-live__grafov-m3u8__media-playlist-large.m3u8', import.meta.url);
const GOAL = 20;
/** Multivariant playlists: this many variants must read in well under a second (linear, bounded). */
const VARIANTS = 200_000;
const VARIANTS_GOAL_MS = 1000;

/** Reads `docs` (one op = every doc once); returns how many segments it saw, to keep the work observable. */
type Candidate = { name: string; fn: (docs: string[]) => number };

const PRODUCTION = 'flatline ManifestReader (production, per fetch)';
const OURS = 'flatline manifestAge';
const FULL = 'flatline analyzeManifest';

/**
 * The production path over `versions` (the same playlist, one segment later each): one reader per rendition,
 * the clock one target duration further on every fetch.
 */
function production(versions: string[][], targetDurationS: number, firstNowMs: number): Candidate {
  const readers = versions[0]?.map(() => new ManifestReader()) ?? [];
  let fetch = 0;
  return {
    name: PRODUCTION,
    fn: () => {
      const docs = versions[fetch % versions.length] as string[];
      // The clock only moves on (the contract cadence depends on it); the versions wrap, so ages grow: same cost.
      const now = firstNowMs + fetch * targetDurationS * 1000;
      fetch++;
      return docs.reduce((n, d, i) => n + (readers[i] as ManifestReader).read(d, { now }).analysis.segments, 0);
    },
  };
}

const peers: Candidate[] = [
  { name: 'hls-parser parse', fn: (docs) => docs.reduce((n, d) => n + (HLS.parse(d) as { segments: unknown[] }).segments.length, 0) },
  {
    name: 'm3u8-parser parse',
    fn: (docs) =>
      docs.reduce((n, d) => {
        const p = new Parser();
        p.push(d);
        p.end();
        return n + (p.manifest.segments?.length ?? 0);
      }, 0),
  },
];

interface Sample {
  opsPerS: number;
  cpuMsPerOp: number;
}

/** Runs fn for ~`ms` of wall time: ops/s and CPU ms (user + system) per op. */
function round(fn: () => number, ms: number): Sample {
  let ops = 0;
  let sink = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  do {
    sink += fn();
    ops++;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  const used = process.cpuUsage(cpu);
  if (sink < 0) console.log(sink); // keeps the work observable
  return { opsPerS: (ops * 1000) / elapsed, cpuMsPerOp: (used.user + used.system) / 1000 / ops };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function compare(label: string, docs: string[], ours: Candidate[], rounds: number, ms: number, goal: boolean): BenchRow[] {
  const candidates = [...ours, ...peers];
  for (const c of candidates) c.fn(docs); // warm-up
  const samples = new Map<string, Sample[]>(candidates.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) for (const c of candidates) samples.get(c.name)?.push(round(() => c.fn(docs), ms));
  const cpu = (name: string) => (samples.get(name) ?? []).map((s) => s.cpuMsPerOp);
  // Ratios of CPU per op, paired per round (the candidates of one round ran back to back under the same load),
  // then the median: other processes on a small shared machine make absolute numbers noisy.
  const ratioTo = (mine: string, theirs: string) => {
    const b = cpu(theirs);
    return median(cpu(mine).map((c, i) => (b[i] ?? Number.NaN) / c));
  };
  const rowsFor = (mine: string, what: string, goal: boolean): BenchRow[] => {
    const ratios = peers.map((p) => ({ peer: p.name, ratio: ratioTo(mine, p.name) }));
    const worst = ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
    const cpuMs = median(cpu(mine));
    return [
      {
        name: `${label}: ${what}`,
        value: Number(((1000 * cpuMs) / docs.length).toFixed(1)),
        unit: 'µs CPU/manifest',
        ratio: `${worst.ratio.toFixed(1)}x less CPU than ${worst.peer}`,
        ...(goal ? { goal: `>= ${GOAL}x`, pass: ratios.every((r) => r.ratio >= GOAL) } : {}),
      },
      ...(what.startsWith('production') ? [{ name: `${label}: ${what}, per core`, value: Math.round((1000 * docs.length) / cpuMs), unit: 'manifests/s' }] : []),
    ];
  };
  return [
    ...rowsFor(PRODUCTION, 'production path (ManifestReader)', goal),
    ...rowsFor(FULL, 'full contract pass (analyzeManifest)', false),
    ...rowsFor(OURS, 'age only (manifestAge, tail-first)', false),
    ...peers.map((p) => ({ name: `${label}: ${p.name}`, value: Number(((1000 * median(cpu(p.name))) / docs.length).toFixed(1)), unit: 'µs CPU/manifest' })),
  ];
}

const mine = (): Candidate[] => [
  { name: OURS, fn: (docs) => docs.reduce((n, d) => n + manifestAge(d, { now: 0 }).segments, 0) },
  { name: FULL, fn: (docs) => docs.reduce((n, d) => n + analyzeManifest(d, { now: 0 }).segments, 0) },
];

/** `text` as served `k` segments later: the oldest k segments gone, k new ones appended, the media sequence moved. */
function slide(text: string, k: number): string {
  const lines = text.trimEnd().split('\n');
  const first = lines.findIndex((l) => l.startsWith('#EXTINF'));
  const header = lines.slice(0, first).map((l) => (l.startsWith('#EXT-X-MEDIA-SEQUENCE:') ? `#EXT-X-MEDIA-SEQUENCE:${Number(l.slice(22)) + k}` : l));
  const segments = lines.slice(first);
  const extinf = segments[0] as string;
  const count = segments.length / 2;
  const added = Array.from({ length: k }, (_, i) => [extinf, `movie${count + i}.ts`]).flat();
  return [...header, ...segments.slice(2 * k), ...added].join('\n') + '\n';
}

const LADDER_NOW = Date.parse('2024-05-24T15:00:00Z');

/** Six renditions of an LL-HLS ladder: 4 s segments, 1/3 s parts on the newest 3 segments, a 2-minute window. */
function llhlsLadder(k = 0): string[] {
  const now = LADDER_NOW;
  return ['416x234', '640x360', '960x540', '1280x720', '1920x1080', '1920x1080-hi'].map((name, i) =>
    livePlaylist({ mediaSequence: 81_234 + k, segments: 30, segmentDuration: 4, targetDuration: 4, firstPdtMs: now - 120_000 + k * 4000, partDuration: 0.33334, trailingParts: 2 + (i % 3), prefix: name }),
  );
}

function variantsRow(): BenchRow {
  const lines = ['#EXTM3U'];
  for (let i = 0; i < VARIANTS; i++) lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${1000 + i},RESOLUTION=640x360`, `v${i}/index.m3u8`);
  const text = lines.join('\n');
  analyzeManifest(text, { now: 0 });
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    analyzeManifest(text, { now: 0, url: 'https://origin.example/live/index.m3u8' });
    times.push(performance.now() - start);
  }
  const ms = median(times);
  return { name: `${VARIANTS.toLocaleString('en-US')}-variant multivariant playlist: analyzeManifest`, value: Number(ms.toFixed(1)), unit: 'ms', goal: `< ${VARIANTS_GOAL_MS} ms`, pass: ms < VARIANTS_GOAL_MS };
}

export async function run(): Promise<BenchSection> {
  HLS.setOptions({ silent: true });
  const huge = readFileSync(HUGE, 'utf8');
  // 16 successive versions, one segment apart (one fetch per target duration sees one new segment).
  const hugeVersions = Array.from({ length: 16 }, (_, k) => [slide(huge, k)]);
  const ladderVersions = Array.from({ length: 16 }, (_, k) => llhlsLadder(k));
  const ladder = ladderVersions[0] as string[];
  return {
    title: 'manifest age: the production path (ManifestReader) vs full parses (hls-parser, m3u8-parser), side by side',
    rows: [
      ...compare('40,001-segment playlist', [huge], [production(hugeVersions, 10, 0), ...mine()], 7, 400, true),
      ...compare('6-rendition LL-HLS ladder', ladder, [production(ladderVersions, 4, LADDER_NOW + 500), ...mine()], 7, 250, false),
      variantsRow(),
    ],
    notes: [
      `40,001-segment fixture: ${(huge.length / 1e6).toFixed(2)} MB, target duration 10 s; ladder: 6 x ${ladder[0]?.length ?? 0} bytes (30 segments, PDT each, 36 parts + 2-4 trailing parts), target duration 4 s`,
      `production path: each op is one fetch of every rendition, one segment later than the last, the clock one target duration on; the full contract pass runs at most every ${DEFAULT_CONTRACT_CHECK_MS / 1000} s per rendition (every 3rd fetch at 10 s, every 8th at 4 s), the tail-first age otherwise`,
      'the goal (>= 20x less CPU than both full parsers) is set on the 40,001-segment playlist; CPU per manifest = median of 7 interleaved rounds (process.cpuUsage, user + system); ratio = median of the per-round CPU ratios against each full parser, the smaller one reported; the goal holds against both',
    ],
  };
}

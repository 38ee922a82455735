// Manifest age vs a full parse: analyzeManifest against hls-parser and m3u8-parser on the
// 40,001-segment fixture and on a 6-rendition LL-HLS ladder. The three run side by side, interleaved in rounds
// in the same process, so the ratio is not skewed by machine load; ops/s is the median round.
import { readFileSync } from 'node:fs';
import HLS from 'hls-parser';
import { Parser } from 'm3u8-parser';
import { analyzeManifest, manifestAge } from '../functions/domain/manifest/index.js';
import { livePlaylist } from '../sandbox/media/hls.js';
import type { BenchRow, BenchSection } from './types.js';

const HUGE = new URL('../test/fixtures/manifests/edge-hls__huge-40001-segments-live__grafov-m3u8__media-playlist-large.m3u8', import.meta.url);
const GOAL = 20;

type Candidate = { name: string; fn: (docs: string[]) => number };

const OURS = 'flatline manifestAge';
const FULL = 'flatline analyzeManifest';
const candidates: Candidate[] = [
  { name: OURS, fn: (docs) => docs.reduce((n, d) => n + manifestAge(d, { now: 0 }).segments, 0) },
  { name: FULL, fn: (docs) => docs.reduce((n, d) => n + analyzeManifest(d, { now: 0 }).segments, 0) },
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

/** Runs fn for ~`ms` and returns ops/s. */
function round(fn: () => number, ms: number): number {
  let ops = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    sink += fn();
    ops++;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  if (sink < 0) console.log(sink); // keeps the work observable
  return (ops * 1000) / elapsed;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function compare(label: string, docs: string[], rounds = 7, ms = 250): BenchRow[] {
  for (const c of candidates) c.fn(docs); // warm-up
  const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) for (const c of candidates) samples.get(c.name)?.push(round(() => c.fn(docs), ms));
  // Ratios are paired per round (the candidates of one round ran back to back under the same machine load),
  // then the median is taken: other processes on a small shared machine make absolute ops/s noisy.
  const ratioTo = (mine: string, theirs: string) => {
    const a = samples.get(mine) ?? [];
    const b = samples.get(theirs) ?? [];
    return median(a.map((o, i) => o / (b[i] ?? Number.NaN)));
  };
  const peers = candidates.filter((c) => !c.name.startsWith('flatline')).map((c) => ({ name: c.name, ops: median(samples.get(c.name) ?? []) }));
  const fastest = peers.reduce((a, b) => (b.ops > a.ops ? b : a));
  const rowFor = (mine: string, what: string, goal: boolean): BenchRow => {
    const ratio = Math.min(...peers.map((p) => ratioTo(mine, p.name)));
    return {
      name: `${label}: ${what}`,
      value: Math.round(median(samples.get(mine) ?? [])),
      unit: 'ops/s',
      ratio: `${ratio.toFixed(1)}x faster than ${fastest.name}`,
      ...(goal ? { goal: `>= ${GOAL}x`, pass: ratio >= GOAL } : {}),
    };
  };
  return [
    rowFor(OURS, 'age (manifestAge, tail-first)', true),
    rowFor(FULL, 'age + contract checks (analyzeManifest)', false),
    ...peers.map((p) => ({ name: `${label}: ${p.name}`, value: Math.round(p.ops), unit: 'ops/s' })),
  ];
}

/** Six renditions of an LL-HLS ladder: 4 s segments, 1/3 s parts on the newest 3 segments, a 2-minute window. */
function llhlsLadder(): string[] {
  const now = Date.parse('2024-05-24T15:00:00Z');
  return ['416x234', '640x360', '960x540', '1280x720', '1920x1080', '1920x1080-hi'].map((name, i) =>
    livePlaylist({ mediaSequence: 81_234, segments: 30, segmentDuration: 4, targetDuration: 4, firstPdtMs: now - 120_000, partDuration: 0.33334, trailingParts: 2 + (i % 3), prefix: name }),
  );
}

export async function run(): Promise<BenchSection> {
  HLS.setOptions({ silent: true });
  const huge = readFileSync(HUGE, 'utf8');
  const ladder = llhlsLadder();
  return {
    title: 'manifest age vs full parse (hls-parser, m3u8-parser), side by side',
    rows: [...compare('40,001-segment playlist', [huge], 7, 400), ...compare('6-rendition LL-HLS ladder', ladder)],
    notes: [
      `40,001-segment fixture: ${(huge.length / 1e6).toFixed(2)} MB; ladder: 6 x ${ladder[0]?.length ?? 0} bytes (30 segments, PDT each, 36 parts + 2-4 trailing parts)`,
      'one ladder op = the age of all 6 renditions; ops/s = median of 7 interleaved rounds; ratio = median of the per-round ratios against each full parser, the smaller one reported',
      'manifestAge finds the newest PDT with lastIndexOf, scans only the tail from its segment, and counts the EXTINFs before it with indexOf jumps; analyzeManifest is the one full pass that adds every stream-contract check',
    ],
  };
}

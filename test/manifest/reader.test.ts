// ManifestReader, what the probe runs per fetch: the full pass first and at the contract cadence, the
// tail-first age in between, nothing at all for an unchanged body; the age fields always as analyzeManifest's.
import { describe, expect, it } from 'vitest';
import { analyzeManifest, ManifestReader, type ManifestAnalysis } from '../../functions/domain/manifest/index.js';
import { livePlaylist } from '../../sandbox/media/hls.js';

const T0 = Date.parse('2024-05-24T15:00:00Z');
const AGE_FIELDS = ['format', 'live', 'newestMediaEnd', 'liveEdge', 'ageMs', 'mediaSequence', 'targetDuration', 'segments', 'lastMsn', 'partsAfterLast', 'lastSegmentStart', 'lastSegmentDuration'] as const;
const ageOf = (a: ManifestAnalysis) => Object.fromEntries(AGE_FIELDS.map((k) => [k, a[k] ?? null]));

/** The playlist as a packager serves it `k` segments later: the window slides by k. */
const window = (k: number, extra: Partial<Parameters<typeof livePlaylist>[0]> = {}) =>
  livePlaylist({ mediaSequence: 100 + k, segments: 30, segmentDuration: 2, targetDuration: 2, firstPdtMs: T0 + k * 2000, ...extra });

describe('ManifestReader', () => {
  it('reads fully first, then tail-first while the contract check is fresh, then fully again', () => {
    const reader = new ManifestReader(30_000);
    const paths: string[] = [];
    for (let k = 0; k < 20; k++) {
      const now = T0 + 60_000 + k * 2000 + 300;
      const text = window(k);
      const { analysis, path } = reader.read(text, { now });
      paths.push(path);
      expect(ageOf(analysis), `fetch ${k}`).toEqual(ageOf(analyzeManifest(text, { now })));
    }
    // 2 s apart: a full pass at 0 s and 30 s, the tail in between
    expect(paths.filter((p) => p === 'full')).toHaveLength(2);
    expect(paths[0]).toBe('full');
    expect(paths[15]).toBe('full');
    expect(paths.filter((p) => p === 'tail')).toHaveLength(18);
  });

  it('moves the age of an unchanged body on without reading it', () => {
    const reader = new ManifestReader();
    const text = window(0);
    const first = reader.read(text, { now: T0 + 60_500 });
    const again = reader.read(text, { now: T0 + 63_000 });
    expect(again.path).toBe('same');
    expect(again.analysis.ageMs).toBe((first.analysis.ageMs as number) + 2500);
    expect(first.analysis.ageMs).toBe(500);
  });

  it('carries the contract problems of the last full pass over to the tail-first reads', () => {
    const reader = new ManifestReader();
    const drifting = (k: number) => window(k).replace('#EXTINF:2.00000,\nseg-105.ts', '#EXTINF:4.00000,\nseg-105.ts');
    expect(reader.read(drifting(0), { now: T0 + 61_000 }).analysis.problems.map((p) => p.code)).toEqual(['segment-exceeds-target-duration', 'pdt-drift']);
    const next = reader.read(drifting(1), { now: T0 + 63_000 });
    expect(next.path).toBe('tail');
    expect(next.analysis.problems.map((p) => p.code)).toEqual(['segment-exceeds-target-duration', 'pdt-drift']);
  });

  it('a clock that runs ahead is reported on every path, with no age', () => {
    const reader = new ManifestReader();
    reader.read(window(0), { now: T0 + 60_500 });
    const ahead = reader.read(window(60), { now: T0 + 62_500 }); // its newest segment ends 2 minutes from now
    expect(ahead.path).toBe('tail');
    expect(ahead.analysis.ageMs).toBeNull();
    expect(ahead.analysis.problems.map((p) => p.code)).toEqual(['future-media-time']);
    const same = reader.read(window(60), { now: T0 + 63_000 });
    expect(same.path).toBe('same');
    expect(same.analysis.ageMs).toBeNull();
    expect(same.analysis.problems.map((p) => p.code)).toEqual(['future-media-time']);
  });

  it('reads a multivariant playlist or an MPD fully every time it changes', () => {
    const reader = new ManifestReader();
    expect(reader.read('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n', { now: T0 }).path).toBe('full');
    expect(reader.read('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nb.m3u8\n', { now: T0 }).path).toBe('full');
  });
});

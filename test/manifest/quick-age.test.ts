// manifestAge (tail-first, no full pass) must agree with analyzeManifest on every field both return: on every
// fixture and on generated playlists covering the cases the tail walk handles itself (parts, gaps, skips,
// several PDT layouts, dangling EXTINF, CRLF, no PDT).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeManifest, manifestAge, type ManifestAnalysis } from '../../functions/domain/manifest/index.js';
import { tailAge } from '../../functions/domain/manifest/quick-age.js';
import { livePlaylist } from '../../sandbox/media/hls.js';

const DIR = new URL('../fixtures/manifests/', import.meta.url);
const NOW = Date.parse('2024-05-24T15:01:00Z');
const T0 = Date.parse('2024-05-24T15:00:00Z');

function fromFull(a: ManifestAnalysis) {
  return {
    format: a.format, live: a.live, newestMediaEnd: a.newestMediaEnd, liveEdge: a.liveEdge, ageMs: a.ageMs, mediaSequence: a.mediaSequence,
    targetDuration: a.targetDuration, segments: a.segments, lastMsn: a.lastMsn ?? null, partsAfterLast: a.partsAfterLast ?? 0,
  };
}

const agree = (text: string) => expect(manifestAge(text, { now: NOW })).toEqual(fromFull(analyzeManifest(text, { now: NOW })));

describe('manifestAge = analyzeManifest (age fields)', () => {
  for (const file of readdirSync(DIR).filter((f) => !f.endsWith('.md'))) {
    it(file, () => agree(readFileSync(new URL(file, DIR), 'utf8')));
  }

  const pdtEvery = livePlaylist({ mediaSequence: 500, segments: 20, segmentDuration: 2, firstPdtMs: T0 });
  const cases: Record<string, string> = {
    'PDT on every segment': pdtEvery,
    'no PDT': livePlaylist({ mediaSequence: 7, segments: 12, segmentDuration: 6, firstPdtMs: null }),
    'LL-HLS with trailing parts': livePlaylist({ mediaSequence: 90, segments: 10, segmentDuration: 4, firstPdtMs: T0, partDuration: 0.5, trailingParts: 3 }),
    'LL-HLS, trailing gap part': livePlaylist({ mediaSequence: 90, segments: 10, segmentDuration: 4, firstPdtMs: T0, partDuration: 1, trailingParts: 3 }).replace(
      'URI="seg-100.2.mp4"',
      'URI="seg-100.2.mp4",GAP=YES',
    ),
    'LL-HLS, PDT for the partial segment': livePlaylist({ mediaSequence: 90, segments: 10, segmentDuration: 4, firstPdtMs: T0, partDuration: 1, trailingParts: 2 }).replace(
      '#EXT-X-PART:DURATION=1,URI="seg-100.0.mp4"',
      '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:41.000Z\n#EXT-X-PART:DURATION=1,URI="seg-100.0.mp4"',
    ),
    'PDT only on the first segment': livePlaylist({ mediaSequence: 500, segments: 20, segmentDuration: 2, firstPdtMs: T0, pdt: 'first' }),
    'newest segment is a gap': pdtEvery.replace(/(#EXTINF:2\.00000,\nseg-519\.ts)/, '#EXT-X-GAP\n$1'),
    'two newest segments are gaps, PDT on them': pdtEvery.replace(/(#EXTINF:2\.00000,\nseg-518\.ts)/, '#EXT-X-GAP\n$1').replace(/(#EXTINF:2\.00000,\nseg-519\.ts)/, '#EXT-X-GAP\n$1'),
    'invalid newest PDT': pdtEvery.replace('2024-05-24T15:00:38.000Z', 'not-a-date'),
    'dangling EXTINF': pdtEvery + '#EXTINF:2.0,\n',
    'ENDLIST': livePlaylist({ mediaSequence: 1, segments: 3, segmentDuration: 2, firstPdtMs: T0, endlist: true }),
    'CRLF and BOM': '\ufeff' + livePlaylist({ mediaSequence: 3, segments: 5, segmentDuration: 2, firstPdtMs: T0, eol: '\r\n' }),
    'delta update with EXT-X-SKIP': pdtEvery.replace('#EXT-X-MEDIA-SEQUENCE:500\n', '#EXT-X-MEDIA-SEQUENCE:500\n#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n'),
    'discontinuity with a PDT jump backwards': pdtEvery.replace('#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:30.000Z', '#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2020-01-01T00:00:00.000Z'),
    'PDT between EXTINF and URI': ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXTINF:4,', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:00Z', 'a.ts', '#EXTINF:4,', 'b.ts', ''].join('\n'),
    'target duration after the segments': ['#EXTM3U', '#EXT-X-MEDIA-SEQUENCE:4', '#EXTINF:4,', 'a.ts', '#EXT-X-TARGETDURATION:4', ''].join('\n'),
    'multivariant (falls back)': ['#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=1000', 'a/index.m3u8'].join('\n'),
    'LL-HLS: newest PDT announces the partial segment, earlier one anchors': livePlaylist({ mediaSequence: 90, segments: 10, segmentDuration: 4, firstPdtMs: T0, partDuration: 1, trailingParts: 2 })
      .replace('#EXT-X-PART:DURATION=1,URI="seg-100.0.mp4"', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:40.000Z\n#EXT-X-PART:DURATION=1,URI="seg-100.0.mp4"')
      .replace('#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:36.000Z\n', ''),
    'media sequence after a PDT (falls back)': ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:00Z', '#EXT-X-MEDIA-SEQUENCE:9', '#EXTINF:4,', 'a.ts'].join('\n'),
    'the only segment is a gap (falls back)': ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:00Z', '#EXT-X-GAP', '#EXTINF:4,', 'a.ts'].join('\n'),
    'URI without EXTINF in the tail': ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:00Z', '#EXTINF:4,', 'a.ts', 'stray.ts', '#EXTINF:4,', 'b.ts'].join('\n'),
  };
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      agree(text);
      // the tail walk itself answered (not the fallback), except where a fallback is the point
      if (name.includes('falls back')) expect(tailAge(text, NOW)).toBeNull();
      else expect(tailAge(text, NOW)).not.toBeNull();
    });
  }

  it('the tail walk answers for the plain media fixtures itself', () => {
    const answered = readdirSync(DIR).filter((f) => /^(hls-live|llhls__r|llhls-delta|edge-hls|hls-vod|hls-event)/.test(f));
    for (const f of answered) expect(tailAge(readFileSync(new URL(f, DIR), 'utf8'), NOW), f).not.toBeNull();
  });

  it('reads the age of a generated LL-HLS playlist from its tail', () => {
    const a = manifestAge(cases['LL-HLS with trailing parts'] as string, { now: T0 + 42_000 });
    // 10 x 4 s from T0, then 3 x 0.5 s parts
    expect(a).toMatchObject({ newestMediaEnd: '2024-05-24T15:00:40.000Z', liveEdge: '2024-05-24T15:00:41.500Z', ageMs: 500, lastMsn: 99, partsAfterLast: 3 });
  });
});

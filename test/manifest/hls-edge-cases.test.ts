// Behaviour of the HLS scanner on cases the fixtures do not hold: invalid PDT, drift, CRLF + BOM on a live
// playlist, trailing gap, LL-HLS gap parts, ladder alignment and Cache-Control.
import { describe, expect, it } from 'vitest';
import { analyzeManifest, checkCacheControl, checkLadderAlignment } from '../../functions/domain/manifest/index.js';
import { livePlaylist } from '../../sandbox/media/hls.js';

const T0 = Date.parse('2024-05-24T15:00:00.000Z');
const codes = (a: { problems: Array<{ code: string }> }) => a.problems.map((p) => p.code);

describe('HLS media playlists', () => {
  it('carries the PDT forward by EXTINF and reads CRLF + BOM', () => {
    const text = '\ufeff' + livePlaylist({ mediaSequence: 100, segments: 5, segmentDuration: 2, firstPdtMs: T0, eol: '\r\n' });
    const a = analyzeManifest(text, { now: T0 + 12_500 });
    expect(a).toMatchObject({ format: 'hls-media', live: true, newestMediaEnd: '2024-05-24T15:00:10.000Z', ageMs: 2500, mediaSequence: 100, segments: 5, lastMsn: 104 });
    expect(codes(a)).toEqual([]);
  });

  it('ignores an invalid PDT, reports it, and keeps carrying the previous clock forward', () => {
    const text = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:00Z', '#EXTINF:2,', 'a.ts',
      '#EXT-X-PROGRAM-DATE-TIME:foo', '#EXTINF:2,', 'b.ts', '#EXT-X-PROGRAM-DATE-TIME:2024-02-31T00:00:00Z', '#EXTINF:2,', 'c.ts'].join('\n');
    const a = analyzeManifest(text, { now: T0 + 6000 });
    expect(a.newestMediaEnd).toBe('2024-05-24T15:00:06.000Z');
    expect(codes(a)).toEqual(['invalid-program-date-time']);
    expect(a.problems[0]?.message).toContain('"foo"');
    expect(a.problems[0]?.message).toContain('2 EXT-X-PROGRAM-DATE-TIME');
  });

  it('reports a PDT drifting from the EXTINF sum by more than 1 s, but not across a discontinuity', () => {
    const drift = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:00Z', '#EXTINF:2,', 'a.ts',
      '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:03.500Z', '#EXTINF:2,', 'b.ts'].join('\n');
    const a = analyzeManifest(drift, { now: T0 + 6000 });
    expect(codes(a)).toEqual(['pdt-drift']);
    expect(a.problems[0]?.message).toContain('1.500 s');
    // the newest is still read from the newest PDT
    expect(a.newestMediaEnd).toBe('2024-05-24T15:00:05.500Z');
    const disc = drift.replace('#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:03.500Z', '#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:03.500Z');
    expect(codes(analyzeManifest(disc, { now: T0 + 6000 }))).toEqual([]);
  });

  it('a PDT tag applies to the next URI wherever it sits between EXTINF and URI', () => {
    const text = ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXTINF:4,', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:00Z', 'a.ts', '#EXTINF:4,', 'b.ts'].join('\n');
    expect(analyzeManifest(text, { now: T0 }).newestMediaEnd).toBe('2024-05-24T15:00:08.000Z');
  });

  it('an EXT-X-GAP newest segment is not media: the newest media is the last non-gap segment', () => {
    const text = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T15:00:00Z', '#EXTINF:2,', 'a.ts', '#EXT-X-GAP', '#EXTINF:2,', 'b.ts'].join('\n');
    const a = analyzeManifest(text, { now: T0 + 5000 });
    expect(a.newestMediaEnd).toBe('2024-05-24T15:00:02.000Z');
    expect(a.ageMs).toBe(3000);
    expect(codes(a)).toEqual(['newest-segment-gap']);
  });

  it('LL-HLS: the live edge runs to the last non-gap part; PRELOAD-HINT is not media', () => {
    const base = livePlaylist({ mediaSequence: 10, segments: 4, segmentDuration: 4, firstPdtMs: T0, partDuration: 1, trailingParts: 2 });
    const a = analyzeManifest(base, { now: T0 + 19_000 });
    expect(a.newestMediaEnd).toBe('2024-05-24T15:00:16.000Z');
    expect(a.liveEdge).toBe('2024-05-24T15:00:18.000Z');
    expect(a.ageMs).toBe(1000);
    expect(a.partsAfterLast).toBe(2);
    const gapLast = base.replace('URI="seg-14.1.mp4"', 'URI="seg-14.1.mp4",GAP=YES');
    expect(analyzeManifest(gapLast, { now: T0 }).liveEdge).toBe('2024-05-24T15:00:17.000Z');
  });

  it('no #EXT tag at all is an unknown document, not a crash; so is broken XML', () => {
    expect(analyzeManifest('hello\nworld\n')).toMatchObject({ format: 'unknown', problems: [{ code: 'unrecognized-document' }] });
    expect(analyzeManifest('')).toMatchObject({ format: 'unknown', problems: [{ code: 'empty-document' }] });
    expect(analyzeManifest('<MPD><Period></MPD>')).toMatchObject({ format: 'unknown', problems: [{ code: 'invalid-xml' }] });
    expect(analyzeManifest('<html><body>502</body></html>')).toMatchObject({ format: 'unknown', problems: [{ code: 'unrecognized-document' }] });
  });

  it('reads X-MediaPackage-Manifest-Last-Updated as a second opinion', () => {
    const a = analyzeManifest(livePlaylist({ mediaSequence: 1, segments: 2, segmentDuration: 2, firstPdtMs: null }), {
      headers: { 'X-MediaPackage-Manifest-Last-Updated': '1716562800000' },
    });
    expect(a.lastUpdatedMs).toBe(1716562800000);
  });

  it('reports a Last-Updated header that disagrees with the media wall clock (republished without new media)', () => {
    const text = livePlaylist({ mediaSequence: 1, segments: 5, segmentDuration: 2, firstPdtMs: T0 });
    const now = T0 + 40_000; // newest media ended 30 s ago
    const agrees = analyzeManifest(text, { now, headers: { 'x-mediapackage-manifest-last-updated': String(T0 + 10_500) } });
    expect(codes(agrees)).toEqual([]);
    const disagrees = analyzeManifest(text, { now, headers: { 'x-mediapackage-manifest-last-updated': String(now - 1000) } });
    expect(codes(disagrees)).toEqual(['last-updated-disagrees']);
    expect(disagrees.problems[0]?.message).toContain('1.0 s ago');
  });
});

describe('ladder alignment', () => {
  const rendition = (name: string, firstPdtMs: number, segments = 5, mediaSequence = 100) => {
    const text = livePlaylist({ mediaSequence, segments, segmentDuration: 2, firstPdtMs });
    return { name, text, analysis: analyzeManifest(text, { now: T0 }) };
  };

  it('accepts renditions whose same media sequence carries the same PDT, even when one is a segment ahead', () => {
    expect(checkLadderAlignment([rendition('a', T0), rendition('b', T0 + 100), rendition('c', T0, 6)])).toEqual([]);
  });

  it('names the rendition whose segments start at another instant', () => {
    const problems = checkLadderAlignment([rendition('720p', T0), rendition('1080p', T0), rendition('360p', T0 + 2000)]);
    expect(problems.map((p) => p.code)).toEqual(['ladder-misaligned']);
    expect(problems[0]?.message).toContain('360p +2000 ms');
    expect(problems[0]?.message).not.toContain('1080p');
  });

  it('compares at the newest common media sequence using the text of the renditions that are ahead', () => {
    // b is one segment ahead; its segment 104 (the common newest) is shifted by 1.5 s.
    const problems = checkLadderAlignment([rendition('a', T0), rendition('b', T0 + 1500, 6)]);
    expect(problems[0]?.message).toContain('media sequence 104');
  });
});

describe('Cache-Control', () => {
  it('manifests: no-store, no-cache, max-age > 2 s, missing', () => {
    expect(checkCacheControl('manifest', { 'cache-control': 'max-age=1' })).toEqual([]);
    expect(checkCacheControl('manifest', { 'Cache-Control': 'no-store' }).map((p) => p.code)).toEqual(['manifest-no-store']);
    expect(checkCacheControl('manifest', { 'cache-control': 'no-cache, max-age=0' }).map((p) => p.code)).toEqual(['manifest-no-cache']);
    expect(checkCacheControl('manifest', { 'cache-control': 'public, max-age=10' }).map((p) => p.code)).toEqual(['manifest-max-age-too-long']);
    // s-maxage is what the CDN uses
    expect(checkCacheControl('manifest', { 'cache-control': 'max-age=10, s-maxage=1' })).toEqual([]);
    expect(checkCacheControl('manifest', {}).map((p) => p.code)).toEqual(['manifest-cache-control-missing']);
  });

  it('segments: must be cacheable for their duration', () => {
    expect(checkCacheControl('segment', { 'cache-control': 'max-age=86400' }, 2)).toEqual([]);
    expect(checkCacheControl('segment', { 'cache-control': 'private' }, 2).map((p) => p.code)).toEqual(['segment-not-cacheable']);
    expect(checkCacheControl('segment', { 'cache-control': ['public', 'max-age=1'] }, 6).map((p) => p.code)).toEqual(['segment-max-age-too-short']);
  });
});

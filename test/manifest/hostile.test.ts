// Hostile documents: what an origin (broken or malicious) can serve, read without a throw and without
// unbounded work. Each case ends as a problem code (and an unknown age) rather than an exception or a lie.
import { describe, expect, it } from 'vitest';
import { analyzeManifest, manifestAge, MAX_VARIANTS } from '../../functions/domain/manifest/index.js';
import { livePlaylist } from '../../sandbox/media/hls.js';

const T0 = Date.parse('2024-05-24T15:00:00.000Z');
const codes = (a: { problems: Array<{ code: string }> }) => a.problems.map((p) => p.code);

function mpd(segmentTimeline: string, timescale = '1000'): string {
  return `<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" availabilityStartTime="2024-05-24T14:00:00Z" publishTime="2024-05-24T15:00:00Z">
  <Period id="p0" start="PT0S">
    <AdaptationSet mimeType="video/mp4">
      <SegmentTemplate timescale="${timescale}" media="v-$Time$.m4s">
        <SegmentTimeline>${segmentTimeline}</SegmentTimeline>
      </SegmentTemplate>
      <Representation id="v" bandwidth="1000000"/>
    </AdaptationSet>
  </Period>
</MPD>`;
}

describe('hostile DASH timelines', () => {
  it('timescale="0" is a problem, not a RangeError', () => {
    const a = analyzeManifest(mpd('<S t="0" d="2000" r="9"/>', '0'), { now: T0 });
    expect(a.format).toBe('dash');
    expect(a.ageMs).toBeNull();
    expect(a.newestMediaEnd).toBeNull();
    expect(codes(a)).toContain('invalid-timeline');
    expect(a.problems.find((p) => p.code === 'invalid-timeline')?.message).toContain('timescale');
  });

  it('r="1e15" is a problem, not a RangeError', () => {
    const a = analyzeManifest(mpd('<S t="0" d="2000" r="1e15"/>'), { now: T0 });
    expect(a.ageMs).toBeNull();
    expect(codes(a)).toContain('invalid-timeline');
  });

  it('a negative timescale and d="0" with r="-1" are problems too', () => {
    expect(codes(analyzeManifest(mpd('<S t="0" d="2000"/>', '-1'), { now: T0 }))).toContain('invalid-timeline');
    expect(codes(analyzeManifest(mpd('<S t="0" d="0" r="-1"/><S t="4000" d="2000"/>'), { now: T0 }))).toContain('invalid-timeline');
  });

  it('a sane timeline next to them still reads (the guard is not a blanket refusal)', () => {
    const a = analyzeManifest(mpd('<S t="3596000" d="2000" r="1"/>'), { now: T0 });
    expect(a.newestMediaEnd).toBe('2024-05-24T15:00:00.000Z');
    expect(codes(a)).not.toContain('invalid-timeline');
  });
});

describe('hostile multivariant playlists', () => {
  function variants(n: number): string {
    const lines = ['#EXTM3U'];
    for (let i = 0; i < n; i++) lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${1000 + i},RESOLUTION=640x360`, `v${i}/index.m3u8`);
    return lines.join('\n');
  }

  it(`keeps at most ${MAX_VARIANTS} renditions of 200,000 variants and says so`, () => {
    const a = analyzeManifest(variants(200_000), { now: T0, url: 'https://origin.example/live/index.m3u8' });
    expect(a.format).toBe('hls-multivariant');
    expect(a.renditions).toHaveLength(MAX_VARIANTS);
    expect(a.renditions[0]?.url).toBe('https://origin.example/live/v0/index.m3u8');
    const p = a.problems.find((x) => x.code === 'too-many-variants');
    expect(p?.message).toContain('200000');
  });

  it('a ladder under the bound is read whole, duplicates once', () => {
    const text = `${variants(3)}\n#EXT-X-STREAM-INF:BANDWIDTH=5,RESOLUTION=1x1\nv0/index.m3u8\n`;
    const a = analyzeManifest(text, { now: T0 });
    expect(a.renditions.map((r) => r.uri)).toEqual(['v0/index.m3u8', 'v1/index.m3u8', 'v2/index.m3u8']);
    expect(codes(a)).toEqual([]);
  });
});

describe('a PDT in the future', () => {
  const ahead = (ms: number) => livePlaylist({ mediaSequence: 10, segments: 5, segmentDuration: 2, targetDuration: 2, firstPdtMs: T0 - 10_000 + ms });

  it('more than one target duration ahead of now is a problem, and the document gives no age', () => {
    const text = ahead(60_000);
    const a = analyzeManifest(text, { now: T0 });
    expect(codes(a)).toContain('future-media-time');
    expect(a.ageMs).toBeNull();
    // the quick age agrees: no age from a clock that runs ahead
    expect(manifestAge(text, { now: T0 }).ageMs).toBeNull();
  });

  it('within one target duration (clock skew) it is still the age', () => {
    const a = analyzeManifest(ahead(1_500), { now: T0 });
    expect(codes(a)).toEqual([]);
    expect(a.ageMs).toBe(-1500);
  });
});

describe('hostile EXTINF values', () => {
  const playlist = (extinf: string) =>
    ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:7', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T14:59:54Z', '#EXTINF:2,', 'a.ts',
      `#EXTINF:${extinf},`, 'b.ts', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T14:59:58Z', '#EXTINF:2,', 'c.ts'].join('\n');

  for (const bad of ['NaN', '-2', 'abc', '1e308', '99999999999']) {
    it(`EXTINF:${bad} is a problem, the segment still counts, the next PDT re-anchors`, () => {
      const a = analyzeManifest(playlist(bad), { now: T0 });
      expect(codes(a)).toContain('invalid-extinf');
      expect(a.problems.find((p) => p.code === 'invalid-extinf')?.message).toContain(bad);
      expect(a.segments).toBe(3);
      expect(a.lastMsn).toBe(9);
      expect(a.newestMediaEnd).toBe('2024-05-24T15:00:00.000Z');
      expect(manifestAge(playlist(bad), { now: T0 })).toMatchObject({ segments: 3, lastMsn: 9, ageMs: 0 });
    });
  }

  it('the newest segment with an invalid EXTINF has no wall-clock end', () => {
    const text = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-PROGRAM-DATE-TIME:2024-05-24T14:59:58Z', '#EXTINF:-1,', 'a.ts'].join('\n');
    const a = analyzeManifest(text, { now: T0 });
    expect(codes(a)).toContain('invalid-extinf');
    expect(a.ageMs).toBeNull();
    expect(a.segments).toBe(1);
  });
});

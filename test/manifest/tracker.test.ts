// The tracker across successive fetches of one rendition: advance, stall, regress, endlist.
import { describe, expect, it } from 'vitest';
import { analyzeManifest, ManifestTracker } from '../../functions/domain/manifest/index.js';
import { livePlaylist } from '../../sandbox/media/hls.js';

const T0 = Date.parse('2024-05-24T15:00:00.000Z');
const noPdt = (mediaSequence: number, extra: Partial<Parameters<typeof livePlaylist>[0]> = {}) =>
  analyzeManifest(livePlaylist({ mediaSequence, segments: 5, segmentDuration: 2, firstPdtMs: null, ...extra }), { now: 0 });

describe('ManifestTracker', () => {
  it('measures the time since a PDT-less playlist last advanced', () => {
    const t = new ManifestTracker();
    expect(t.observe(noPdt(100), T0)).toMatchObject({ ageMs: null, advanced: false, problems: [] });
    expect(t.observe(noPdt(101), T0 + 2000)).toMatchObject({ ageMs: 0, advanced: true });
    // stalled: same playlist, time passes
    expect(t.observe(noPdt(101), T0 + 4000)).toMatchObject({ ageMs: 2000, advanced: false });
    expect(t.observe(noPdt(101), T0 + 9000)).toMatchObject({ ageMs: 7000, advanced: false });
    // resumes
    expect(t.observe(noPdt(103), T0 + 10_000)).toMatchObject({ ageMs: 0, advanced: true });
  });

  it('counts a grown segment list (EVENT-style, media sequence unchanged) and new LL-HLS parts as progress', () => {
    const t = new ManifestTracker();
    t.observe(noPdt(100), T0);
    expect(t.observe(noPdt(100, { segments: 6 }), T0 + 2000).advanced).toBe(true);
    const ll = (parts: number) => analyzeManifest(livePlaylist({ mediaSequence: 1, segments: 5, segmentDuration: 4, firstPdtMs: null, partDuration: 1, trailingParts: parts }));
    const u = new ManifestTracker();
    u.observe(ll(1), T0);
    expect(u.observe(ll(2), T0 + 1000).advanced).toBe(true);
    expect(u.observe(ll(2), T0 + 2000)).toMatchObject({ advanced: false, ageMs: 1000 });
  });

  it('reports a media sequence going backwards and does not count it as progress', () => {
    const t = new ManifestTracker();
    t.observe(noPdt(500), T0);
    const r = t.observe(noPdt(10), T0 + 3000);
    expect(r.advanced).toBe(false);
    expect(r.ageMs).toBe(3000);
    expect(r.problems.map((p) => p.code)).toEqual(['media-sequence-regressed']);
    expect(r.problems[0]?.message).toContain('500 -> 10');
    // from the new baseline, progress counts again
    expect(t.observe(noPdt(11), T0 + 4000)).toMatchObject({ advanced: true, ageMs: 0, problems: [] });
  });

  it('reports EXT-X-ENDLIST appearing on a playlist that was live', () => {
    const t = new ManifestTracker();
    t.observe(noPdt(1), T0);
    const r = t.observe(noPdt(2, { endlist: true }), T0 + 2000);
    expect(r.problems.map((p) => p.code)).toEqual(['endlist-on-live']);
    // a playlist that was never seen live (VOD) is not a live stream ending
    const vod = new ManifestTracker();
    expect(vod.observe(noPdt(1, { endlist: true }), T0).problems).toEqual([]);
    expect(vod.observe(noPdt(1, { endlist: true }), T0 + 2000).problems).toEqual([]);
  });

  it('prefers the document wall clock when the playlist carries PDT', () => {
    const t = new ManifestTracker();
    const a = analyzeManifest(livePlaylist({ mediaSequence: 1, segments: 5, segmentDuration: 2, firstPdtMs: T0 }), { now: T0 + 13_000 });
    expect(t.observe(a, T0 + 13_000).ageMs).toBe(3000);
  });

  it('sees a DASH MPD change through its hash when the timeline follows the clock', () => {
    const mpd = (n: string) =>
      `<MPD type="dynamic" availabilityStartTime="2020-01-01T00:00:00Z" minimumUpdatePeriod="PT2S"><!-- ${n} --><Period start="PT0S"><AdaptationSet><Representation id="v"><SegmentTemplate timescale="1000" duration="2000" media="$Number$.m4s"/></Representation></AdaptationSet></Period></MPD>`;
    const t = new ManifestTracker();
    t.observe(analyzeManifest(mpd('a')), T0);
    expect(t.observe(analyzeManifest(mpd('a')), T0 + 2000)).toMatchObject({ advanced: false, ageMs: 2000 });
    expect(t.observe(analyzeManifest(mpd('b')), T0 + 3000)).toMatchObject({ advanced: true, ageMs: 0 });
  });
});

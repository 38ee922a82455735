// Every manifest of test/fixtures/manifests (sources: test/fixtures/SOURCES.md), with the expected result worked out by hand from the file
// (PDT carried forward by EXTINF; DASH: AST + Period@start + (t + d - PTO) / timescale). The comment on each
// row shows the arithmetic.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeManifest, type ManifestAnalysis } from '../../functions/domain/manifest/index.js';

const DIR = new URL('../fixtures/manifests/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, DIR), 'utf8');

/** The fields of ManifestAnalysis checked by hand for every fixture, at the fixture's own `now`. */
type Expected = Pick<
  ManifestAnalysis,
  'format' | 'live' | 'newestMediaEnd' | 'liveEdge' | 'ageMs' | 'mediaSequence' | 'targetDuration' | 'segments'
> & {
  now: string;
  /** Problem codes that must be reported (others may be too, unless `only`). */
  problems: string[];
  /** The reported problem codes must be exactly `problems`. */
  only?: boolean;
  renditions?: string[];
};

const EXPECTED: Record<string, Expected> = {
  // PDT on every segment, between EXTINF and URI: last PDT 15:25:21 + 10 s.
  'hls-live-pdt-every__usp__sethdeckard-m3u8__timestamp_playlist.m3u8': {
    now: '2016-04-11T15:25:36Z', format: 'hls-media', live: true, newestMediaEnd: '2016-04-11T15:25:31.000Z', liveEdge: '2016-04-11T15:25:31.000Z',
    ageMs: 5000, mediaSequence: 1736515, targetDuration: 10, segments: 6, problems: [], only: true,
  },
  // One PDT (11:26:25.123) before 8 segments: 4 x 6.006 + 5.972 + 3 x 6.006 = 48.014 s -> 11:27:13.137 (= last LTC + 6.006).
  'hls-live-pdt-first__daterange-scte35__comcast-mamba__hls_variant_playlist_with_daterange_metadata.m3u8': {
    now: '2020-03-26T11:27:20Z', format: 'hls-media', live: true, newestMediaEnd: '2020-03-26T11:27:13.137Z', liveEdge: '2020-03-26T11:27:13.137Z',
    ageMs: 6863, mediaSequence: 112000, targetDuration: 6, segments: 8, problems: [], only: true,
  },
  // Comments before #EXTM3U; 11:14:00 + 5 x 30 + 3.003 = 11:16:33.003.
  'hls-live-pdt-first__daterange-scte35__kuu-hls-parser__8.10-EXT-X-DATERANGE-carrying-SCTE-35-tags.m3u8': {
    now: '2014-03-05T11:16:40Z', format: 'hls-media', live: true, newestMediaEnd: '2014-03-05T11:16:33.003Z', liveEdge: '2014-03-05T11:16:33.003Z',
    ageMs: 6997, mediaSequence: 0, targetDuration: 30, segments: 6, problems: [], only: true,
  },
  // GAP segments inside a discontinuity; last PDT 19:28:45.079 + 4 x 6.006 = 19:29:09.103 (not a gap).
  'hls-live-pdt-per-disc__gap-image-playlist__globocom-m3u8__LIVE_IMAGE_PLAYLIST.m3u8': {
    now: '2019-04-17T19:29:10Z', format: 'hls-media', live: true, newestMediaEnd: '2019-04-17T19:29:09.103Z', liveEdge: '2019-04-17T19:29:09.103Z',
    ageMs: 897, mediaSequence: 127228, targetDuration: 6, segments: 10, problems: [], only: true,
  },
  // PDT jumps backwards across discontinuities: the newest is the LAST in playlist order: 11:42:03 + 2 x 10.
  'hls-live-pdt-backwards__discontinuities__hlsjs__m3u8-parser-ts.m3u8': {
    now: '2015-05-27T11:42:30Z', format: 'hls-media', live: true, newestMediaEnd: '2015-05-27T11:42:23.000Z', liveEdge: '2015-05-27T11:42:23.000Z',
    ageMs: 7000, mediaSequence: 0, targetDuration: 10, segments: 6, problems: [], only: true,
  },
  // No PDT: 62 complete segments, then a dangling EXTINF.
  'hls-live-nopdt__usp-cue-out-in__grafov-m3u8__media-playlist-with-cue-out-in-without-oatcls.m3u8': {
    now: '2022-04-26T13:20:00Z', format: 'hls-media', live: true, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: 275163116, targetDuration: 9, segments: 62, problems: ['dangling-extinf', 'no-program-date-time'], only: true,
  },
  'hls-live-nopdt__gap__globocom-m3u8__GAP_PLAYLIST.m3u8': {
    now: '2020-01-01T00:00:00Z', format: 'hls-media', live: true, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: 14, targetDuration: 10, segments: 4, problems: ['no-program-date-time'], only: true,
  },
  // EXTINF 19, 11 and 16 > TD 10 (11 rounds to 11); no trailing newline.
  'hls-live-nopdt__no-trailing-newline__videojs-m3u8-parser__liveStart30sBefore.m3u8': {
    now: '2020-01-01T00:00:00Z', format: 'hls-media', live: true, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: 0, targetDuration: 10, segments: 9, problems: ['segment-exceeds-target-duration', 'no-program-date-time'], only: true,
  },
  // LL-HLS: PDT 02:14:00.106 on MSN 272 (+4.00008 = 04.10608); 3 parts of 273 (3 x 0.33334) -> 05.10610. Not the PRELOAD-HINT.
  'llhls__rfc8216bis-example1__kuu-hls-parser__Low-Latency_Example-01_Low-Latency_HLS_Playlist.m3u8': {
    now: '2019-02-14T02:14:06Z', format: 'hls-media', live: true, newestMediaEnd: '2019-02-14T02:14:04.106Z', liveEdge: '2019-02-14T02:14:05.106Z',
    ageMs: 894, mediaSequence: 266, targetDuration: 4, segments: 7, problems: [], only: true,
  },
  // Delta update: 3 skipped + 4 listed = 7 segments; 4 parts of 273 (1.33336 s) -> 05.43944.
  'llhls-delta__rfc8216bis-example2-skip__kuu-hls-parser__Low-Latency_Example-02_Playlist_Delta_Update.m3u8': {
    now: '2019-02-14T02:14:06Z', format: 'hls-media', live: true, newestMediaEnd: '2019-02-14T02:14:04.106Z', liveEdge: '2019-02-14T02:14:05.439Z',
    ageMs: 561, mediaSequence: 266, targetDuration: 4, segments: 7, problems: [], only: true,
  },
  // PDT 23:02:38.003 applies to MSN 1151232 (parts sit between tag and URI); 1151233 ends 23:02:46.003. Only a PRELOAD-HINT after it.
  'llhls__apple-ref-capture-gap-part__hlsjs__m3u8-parser-ts.m3u8': {
    now: '2020-08-11T23:02:50Z', format: 'hls-media', live: true, newestMediaEnd: '2020-08-11T23:02:46.003Z', liveEdge: '2020-08-11T23:02:46.003Z',
    ageMs: 3997, mediaSequence: 1151226, targetDuration: 4, segments: 8, problems: [], only: true,
  },
  // Parts only, no complete segment, no PDT.
  'llhls__parts-only-no-complete-segment__androidx-media3__live_low_latency_parts_only.m3u8': {
    now: '2020-01-01T00:00:00Z', format: 'hls-media', live: true, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: 10, targetDuration: 4, segments: 0, problems: ['no-segments'], only: true,
  },
  'master__apple-bipbop__kuu-hls-parser__Streaming-Examples_bipbop_16x9_variant.m3u8': {
    now: '2020-01-01T00:00:00Z', format: 'hls-multivariant', live: false, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: null, targetDuration: null, segments: 0, problems: [], only: true,
    renditions: ['416x234@264k', '640x360@578k', '960x540@916k', '1280x720@1030k', '1920x1080@1924k', 'gear0/prog_index.m3u8', 'audio:BipBop Audio 2'],
  },
  // VOD with -04:00 offset: 09:20:26.166-04:00 = 13:20:26.166Z, + 10 s.
  'hls-vod-pdt-every__tz-offset__videojs-m3u8-parser__dateTime.m3u8': {
    now: '2016-06-22T13:21:00Z', format: 'hls-media', live: false, newestMediaEnd: '2016-06-22T13:20:36.166Z', liveEdge: '2016-06-22T13:20:36.166Z',
    ageMs: 23834, mediaSequence: 0, targetDuration: 10, segments: 2, problems: [], only: true,
  },
  'hls-event-endlist__videojs-m3u8-parser__event.m3u8': {
    now: '2020-01-01T00:00:00Z', format: 'hls-media', live: false, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: 0, targetDuration: 10, segments: 6, problems: [], only: true,
  },
  'bad-hls__no-extm3u__videojs-m3u8-parser__manifestNoExtM3u.m3u8': {
    now: '2020-01-01T00:00:00Z', format: 'hls-media', live: false, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: 0, targetDuration: 10, segments: 1, problems: ['missing-extm3u'], only: true,
  },
  'bad-hls__utf8-bom__aowss-playlist__utf8-with-bom.m3u': {
    now: '2020-01-01T00:00:00Z', format: 'hls-media', live: true, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: 0, targetDuration: 10, segments: 0, problems: ['no-segments'], only: true,
  },
  'edge-hls__crlf-vod__comcast-mamba__hls_variant_playlist.m3u8': {
    now: '2020-01-01T00:00:00Z', format: 'hls-media', live: false, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: 0, targetDuration: 3, segments: 8, problems: [], only: true,
  },
  'edge-hls__huge-40001-segments-live__grafov-m3u8__media-playlist-large.m3u8': {
    now: '2020-01-01T00:00:00Z', format: 'hls-media', live: true, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: 0, targetDuration: 10, segments: 40001, problems: ['no-program-date-time'], only: true,
  },
  // video: t = 154047647520000 + 30 x 180000 = 154047652920000, + 180000 -> /90000 = 1711640590 s = 15:43:10Z (audio ends later, 15:43:10.016).
  'dash-dyn__timeline-time-publishtime__livesim2__testpic_2s_1.mpd': {
    now: '2024-03-28T15:43:12Z', format: 'dash', live: true, newestMediaEnd: '2024-03-28T15:43:10.000Z', liveEdge: '2024-03-28T15:43:10.000Z',
    ageMs: 2000, mediaSequence: null, targetDuration: 2, segments: 31, problems: [], only: true,
  },
  // The newest Period (15:12:00) has empty timelines: look back to the previous one, whose last segment ends 15:12:00.
  'dash-dyn__multiperiod-empty-timeline__livesim2__segtimeline_multiper_full_min.mpd': {
    now: '2024-05-24T15:12:03Z', format: 'dash', live: true, newestMediaEnd: '2024-05-24T15:12:00.000Z', liveEdge: '2024-05-24T15:12:00.000Z',
    ageMs: 3000, mediaSequence: null, targetDuration: 2, segments: 30, problems: [], only: true,
  },
  // Period 1 starts at 31.421 s; audio (the older set) ends (2827440 + 10 x 540000) / 90000 = 91.416 s -> AST + 122.837 s.
  // 348 s before publishTime 21:05:05: implausible.
  'dash-dyn__multiperiod-timeline-number__eyevinn-dash-mpd__truncate.mpd': {
    now: '2019-12-03T21:05:05Z', format: 'dash', live: true, newestMediaEnd: '2019-12-03T20:59:16.837Z', liveEdge: '2019-12-03T20:59:16.837Z',
    ageMs: 348163, mediaSequence: null, targetDuration: 6, segments: 10, problems: ['publish-time-mismatch'], only: true,
  },
  // Period@start 12078000.272 s after 2018-01-01 = 19:00:00.272; + (3388000 + 6 x 5000) / 1000 = 3418 s -> 19:56:58.272.
  // targetDuration is maxSegmentDuration (PT6S), not the 5 s segments.
  'dash-dyn__timeline-number-ms__streamlink__test_1.mpd': {
    now: '2018-05-20T19:56:59Z', format: 'dash', live: true, newestMediaEnd: '2018-05-20T19:56:58.272Z', liveEdge: '2018-05-20T19:56:58.272Z',
    ageMs: 728, mediaSequence: null, targetDuration: 6, segments: 6, problems: [], only: true,
  },
  // Wowza: S without @r, only the first has @t: video ends (140312788560 + 900000) / 90000 after AST 2018-07-19T09:10:45Z.
  'dash-dyn__timeline-wowza-no-r__streamlink__test_9.mpd': {
    now: '2018-08-06T10:14:52Z', format: 'dash', live: true, newestMediaEnd: '2018-08-06T10:14:45.984Z', liveEdge: '2018-08-06T10:14:45.984Z',
    ageMs: 6016, mediaSequence: null, targetDuration: 10.006, segments: 5, problems: [], only: true,
  },
  // $Number$ + @duration, no publishTime: no wall clock of the media from one document.
  'dash-dyn__number-duration-no-publishtime-utc-direct__androidx-media3__sample_mpd_live_with_time_shift_buffer_16_secs.mpd': {
    now: '2020-01-01T01:00:00Z', format: 'dash', live: true, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: null, targetDuration: 2, segments: 0, problems: ['clock-derived-timeline'], only: true,
  },
  // Video (older than the audio sets): PTO 36403, last t = 6002913283 + 13 x 180180, + 180180, Period@start 2021-03-16T09:43:16.234Z.
  'dash-dyn__timeline-iso-example-G25__eyevinn-dash-mpd__example_G25.mpd': {
    now: '2021-04-17T04:15:27.145Z', format: 'dash', live: true, newestMediaEnd: '2021-03-17T04:15:22.894Z', liveEdge: '2021-03-17T04:15:22.894Z',
    ageMs: 2678404251, mediaSequence: null, targetDuration: 2.016, segments: 14, problems: ['publish-time-mismatch'], only: true,
  },
  // The first S has no @t (t = 0): 9 x 6 s = 54 s after the 1970 AST.
  'dash-dyn__no-publishtime-timeline-no-t__streamlink__test_dynamic_no_publish_time_timeline_without_start.mpd': {
    now: '1970-01-01T00:01:00Z', format: 'dash', live: true, newestMediaEnd: '1970-01-01T00:00:54.000Z', liveEdge: '1970-01-01T00:00:54.000Z',
    ageMs: 6000, mediaSequence: null, targetDuration: 6, segments: 9, problems: [], only: true,
  },
  // type=dynamic without availabilityStartTime: cannot compute, no crash.
  'bad-dash__dynamic-no-ast__videojs-mpd-parser__multiperiod-dynamic.mpd': {
    now: '2020-01-01T00:00:00Z', format: 'dash', live: true, newestMediaEnd: null, liveEdge: null, ageMs: null,
    mediaSequence: null, targetDuration: 2.002, segments: 4, problems: ['missing-availability-start-time'], only: true,
  },
};

describe('every fixture manifest, checked by hand', () => {
  const files = readdirSync(DIR).filter((f) => !f.endsWith('.md'));

  it('has an expectation for every fixture file', () => {
    expect(files.filter((f) => !(f in EXPECTED))).toEqual([]);
  });

  for (const [file, exp] of Object.entries(EXPECTED)) {
    it(file, () => {
      const a = analyzeManifest(read(file), { now: new Date(exp.now), url: 'https://cdn.example.com/live/x/index.m3u8' });
      expect({
        format: a.format, live: a.live, newestMediaEnd: a.newestMediaEnd, liveEdge: a.liveEdge, ageMs: a.ageMs,
        mediaSequence: a.mediaSequence, targetDuration: a.targetDuration, segments: a.segments,
      }).toEqual({
        format: exp.format, live: exp.live, newestMediaEnd: exp.newestMediaEnd, liveEdge: exp.liveEdge, ageMs: exp.ageMs,
        mediaSequence: exp.mediaSequence, targetDuration: exp.targetDuration, segments: exp.segments,
      });
      const codes = a.problems.map((p) => p.code);
      if (exp.only) expect(codes.sort()).toEqual([...exp.problems].sort());
      else expect(codes).toEqual(expect.arrayContaining(exp.problems));
      for (const p of a.problems) expect(p.message.length).toBeGreaterThan(10);
      if (exp.renditions) {
        expect(a.renditions.map((r) => r.name)).toEqual(exp.renditions);
        expect(a.renditions[0]?.url).toBe('https://cdn.example.com/live/x/gear1/prog_index.m3u8');
      } else {
        expect(a.renditions).toEqual([]);
      }
    });
  }
});

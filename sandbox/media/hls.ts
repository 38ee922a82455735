// The one generator of live HLS playlists: the drills' simulated packagers (origin.ts) and slate (edge.ts), the
// probe's loopback origin (testkit/live-origin.ts), and the synthetic playlists of the tests and benches
// (livePlaylist). Tags as RFC 8216 defines them, LL-HLS ones as draft-pantos-hls-rfc8216bis does
// (https://datatracker.ietf.org/doc/html/draft-pantos-hls-rfc8216bis).
//
// Live segments are epoch-locked: segment n covers the wall-clock interval [n x segmentMs, (n + 1) x segmentMs),
// so two origins fed by two channels publish the same names and media sequence for the same wall time
// (registry edge.paths = identical), and every rendition carries the same PDT for the same media sequence.

export interface Rendition {
  /** Path component: <name>.m3u8 and <name>/<n>.ts */
  name: string;
  bandwidth: number;
  averageBandwidth?: number;
  /** WxH */
  resolution?: string;
  frameRate?: number;
  codecs?: string;
  /** The URI in the multivariant playlist (default `<name>.m3u8`). */
  uri?: string;
}

const rung = (name: string, bandwidth: number, resolution: string, frameRate: number): Rendition => ({
  name,
  bandwidth,
  averageBandwidth: Math.round(bandwidth * 0.9),
  resolution,
  frameRate,
  codecs: 'avc1.640028,mp4a.40.2',
});

/** A 6-rung ABR ladder, 234p .. 1080p, like a MediaLive HLS/MediaPackage output group. */
export const LADDER: readonly Rendition[] = [
  rung('1080p', 6_000_000, '1920x1080', 50),
  rung('720p', 3_500_000, '1280x720', 50),
  rung('540p', 2_000_000, '960x540', 25),
  rung('432p', 1_200_000, '768x432', 25),
  rung('360p', 800_000, '640x360', 25),
  rung('234p', 400_000, '416x234', 25),
];

/** A ladder from names, highest bandwidth first; a name that starts with a height ('720p') gets a 16:9 resolution. */
export function namedLadder(names: readonly string[]): Rendition[] {
  return names.map((name, i) => {
    const height = Number.parseInt(name, 10);
    return { name, bandwidth: (names.length - i) * 800_000, ...(Number.isFinite(height) ? { resolution: `${Math.round((height * 16) / 9)}x${height}` } : {}) };
  });
}

export function multivariantPlaylist(ladder: readonly Rendition[] = LADDER): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of ladder) {
    const attrs = [
      `BANDWIDTH=${r.bandwidth}`,
      ...(r.averageBandwidth !== undefined ? [`AVERAGE-BANDWIDTH=${r.averageBandwidth}`] : []),
      ...(r.resolution ? [`RESOLUTION=${r.resolution}`] : []),
      ...(r.frameRate !== undefined ? [`FRAME-RATE=${r.frameRate.toFixed(3)}`] : []),
      ...(r.codecs ? [`CODECS="${r.codecs}"`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, r.uri ?? `${r.name}.m3u8`);
  }
  return `${lines.join('\n')}\n`;
}

/** Media sequence ranges a packager has segments for; `to` null = still producing. */
export interface ProducedRange {
  from: number;
  to: number | null;
}

export function targetDurationS(segmentMs: number): number {
  // RFC 8216 §4.3.3.1: every EXTINF rounded to an integer must be <= the target duration.
  return Math.max(1, Math.ceil(segmentMs / 1000));
}

/** Index of the newest segment that is complete at `now` within `ranges`, or null. */
export function newestSegment(ranges: readonly ProducedRange[], segmentMs: number, now: number): number | null {
  const last = ranges.at(-1);
  if (!last) return null;
  const completeUpTo = Math.floor(now / segmentMs) - 1;
  const to = last.to === null ? completeUpTo : Math.min(last.to, completeUpTo);
  if (to >= last.from) return to;
  // The open range has no complete segment yet: the previous range's end is the newest.
  const prev = ranges.at(-2);
  return prev && prev.to !== null ? prev.to : null;
}

export interface ListedSegment {
  /** Media sequence number. */
  n: number;
  /** The first segment after a break in the media (EXT-X-DISCONTINUITY). */
  discontinuity: boolean;
}

/** The newest `window` segments complete at `now`, oldest first; `discontinuity` marks the first segment of a later range. */
export function windowSegments(
  ranges: readonly ProducedRange[],
  segmentMs: number,
  now: number,
  window: number,
): { segments: ListedSegment[]; discontinuitySequence: number } {
  const completeUpTo = Math.floor(now / segmentMs) - 1;
  const picked: ListedSegment[] = [];
  let firstRange = ranges.length;
  for (let k = ranges.length - 1; k >= 0 && picked.length < window; k--) {
    const r = ranges[k]!;
    const to = r.to === null ? completeUpTo : Math.min(r.to, completeUpTo);
    for (let n = to; n >= r.from && picked.length < window; n--) {
      picked.push({ n, discontinuity: k > 0 && n === r.from });
      firstRange = k;
    }
  }
  picked.reverse();
  // EXT-X-DISCONTINUITY-SEQUENCE counts the discontinuity tags that scrolled out of the window.
  const first = picked[0];
  const discontinuitySequence = first === undefined ? 0 : first.discontinuity ? firstRange - 1 : firstRange;
  return { segments: picked, discontinuitySequence };
}

/** LL-HLS: parts of the newest segments, a preload hint for the next part, and a rendition report. */
export interface LowLatency {
  /** Part duration (s): EXT-X-PART-INF PART-TARGET and every EXT-X-PART DURATION. */
  partS: number;
  /** Parts are listed for this many newest segments (default 3), ... */
  partsFor?: number;
  /** ... plus this many parts of the segment in progress (default 0). */
  trailingParts?: number;
  mapUri: string;
  partUri: (n: number, part: number) => string;
  /** EXT-X-RENDITION-REPORT of a sibling rendition (reported at the same media sequence and part). */
  reportUri: string;
}

export interface MediaPlaylistOptions {
  /** The listed segments, oldest first. */
  segments: readonly ListedSegment[] | readonly number[];
  segmentMs: number;
  uri: (n: number) => string;
  /** EXT-X-PROGRAM-DATE-TIME: on every segment (default; MediaPackage writes it so when the endpoint asks), on the first only, or none. */
  pdt?: 'every' | 'first' | 'none';
  /** Wall clock (epoch ms) at which segment n starts (default n x segmentMs: epoch-locked). */
  startOf?: (n: number) => number;
  /** Default: the first listed segment's number (0 when none is listed). */
  mediaSequence?: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE; the tag is left out when undefined. */
  discontinuitySequence?: number;
  /** Default: targetDurationS(segmentMs). */
  targetDuration?: number;
  /** Default 6 (9 with lowLatency). */
  version?: number;
  /** Decimals of EXTINF (default 3). */
  extinfDecimals?: number;
  lowLatency?: LowLatency;
  endlist?: boolean;
  /** Line ending (default "\n"). */
  eol?: string;
}

/** A media playlist. */
export function mediaPlaylist(o: MediaPlaylistOptions): string {
  const segments: ListedSegment[] = o.segments.map((s) => (typeof s === 'number' ? { n: s, discontinuity: false } : s));
  const ll = o.lowLatency;
  const td = o.targetDuration ?? targetDurationS(o.segmentMs);
  const pdt = o.pdt ?? 'every';
  const startOf = o.startOf ?? ((n: number) => n * o.segmentMs);
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${o.version ?? (ll ? 9 : 6)}`, `#EXT-X-TARGETDURATION:${td}`];
  if (ll) {
    lines.push(`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${td * 6},PART-HOLD-BACK=${(ll.partS * 3).toFixed(3)}`);
    lines.push(`#EXT-X-PART-INF:PART-TARGET=${ll.partS}`);
  }
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${o.mediaSequence ?? segments[0]?.n ?? 0}`);
  if (o.discontinuitySequence !== undefined) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${o.discontinuitySequence}`);
  if (ll) lines.push(`#EXT-X-MAP:URI="${ll.mapUri}"`);
  const partsPerSegment = ll ? Math.round(o.segmentMs / 1000 / ll.partS) : 0;
  const part = (n: number, p: number): string => `#EXT-X-PART:DURATION=${ll!.partS},URI="${ll!.partUri(n, p)}"${p % 4 === 0 ? ',INDEPENDENT=YES' : ''}`;
  const extinf = `#EXTINF:${(o.segmentMs / 1000).toFixed(o.extinfDecimals ?? 3)},`;
  segments.forEach((s, i) => {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (pdt === 'every' || (pdt === 'first' && i === 0)) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(startOf(s.n)).toISOString()}`);
    if (ll && i >= segments.length - (ll.partsFor ?? 3)) for (let p = 0; p < partsPerSegment; p++) lines.push(part(s.n, p));
    lines.push(extinf, o.uri(s.n));
  });
  if (ll) {
    const next = (segments.at(-1)?.n ?? (o.mediaSequence ?? 0) - 1) + 1;
    const trailing = ll.trailingParts ?? 0;
    for (let p = 0; p < trailing; p++) lines.push(part(next, p));
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${ll.partUri(next, trailing)}"`);
    lines.push(`#EXT-X-RENDITION-REPORT:URI="${ll.reportUri}",LAST-MSN=${next},LAST-PART=${Math.max(0, trailing - 1)}`);
  }
  if (o.endlist) lines.push('#EXT-X-ENDLIST');
  const eol = o.eol ?? '\n';
  return lines.join(eol) + eol;
}

/** The slate: a live loop of a static card, always fresh, served under the slate path. */
export function slatePlaylist(slatePath: string, segmentMs: number, now: number, window: number): string {
  const dir = slatePath.slice(0, slatePath.lastIndexOf('/') + 1);
  const { segments } = windowSegments([{ from: 0, to: null }], segmentMs, now, window);
  return mediaPlaylist({ segments, discontinuitySequence: 0, segmentMs, uri: (n) => `${dir}slate-${n}.ts` });
}

/** Bytes standing for a media segment: real media is not needed, real names and timing are. */
export function segmentBytes(name: string, n: number): Buffer {
  return Buffer.from(`segment ${name} ${n}\n`);
}

export interface LivePlaylistOptions {
  /** Media sequence number of the first listed segment. */
  mediaSequence: number;
  segments: number;
  /** Seconds. */
  segmentDuration: number;
  targetDuration?: number;
  /** Wall clock (epoch ms) of the first segment; null = no EXT-X-PROGRAM-DATE-TIME at all. */
  firstPdtMs: number | null;
  /** PDT on every segment (default) or the first only. */
  pdt?: 'every' | 'first';
  /** LL-HLS: part duration (s); parts are listed for the newest 3 segments plus `trailingParts` of the next one. */
  partDuration?: number;
  trailingParts?: number;
  endlist?: boolean;
  /** Segment names: <prefix>-<n>.ts (LL-HLS: <prefix>-<n>.mp4 and parts <prefix>-<n>.<part>.mp4). Default "seg". */
  prefix?: string;
  /** Line ending (default "\n"). */
  eol?: string;
}

/**
 * A synthetic live media playlist shaped like a packager's (MediaPackage, Apple's LL-HLS reference): `segments`
 * segments from `mediaSequence`, the first starting at `firstPdtMs`, for the tests and benches that want a
 * playlist, not an origin.
 */
export function livePlaylist(o: LivePlaylistOptions): string {
  const prefix = o.prefix ?? 'seg';
  const ext = o.partDuration === undefined ? 'ts' : 'mp4';
  const segmentMs = o.segmentDuration * 1000;
  const first = o.firstPdtMs;
  return mediaPlaylist({
    segments: Array.from({ length: o.segments }, (_, i) => o.mediaSequence + i),
    mediaSequence: o.mediaSequence,
    segmentMs,
    uri: (n) => `${prefix}-${n}.${ext}`,
    pdt: first === null ? 'none' : (o.pdt ?? 'every'),
    startOf: (n) => (first ?? 0) + (n - o.mediaSequence) * segmentMs,
    extinfDecimals: 5,
    ...(o.targetDuration !== undefined ? { targetDuration: o.targetDuration } : {}),
    ...(o.partDuration !== undefined
      ? {
          lowLatency: {
            partS: o.partDuration,
            trailingParts: o.trailingParts ?? 0,
            mapUri: `${prefix}-init.mp4`,
            partUri: (n: number, p: number) => `${prefix}-${n}.${p}.${ext}`,
            reportUri: '../other/index.m3u8',
          },
        }
      : {}),
    ...(o.endlist ? { endlist: true } : {}),
    ...(o.eol ? { eol: o.eol } : {}),
  });
}

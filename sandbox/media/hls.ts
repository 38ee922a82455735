// The live HLS ladder the simulated packagers serve. Segments are epoch-locked: segment n covers the
// wall-clock interval [n x segmentMs, (n + 1) x segmentMs), so two origins fed by two channels publish the
// same names and media sequence for the same wall time (registry edge.paths = identical).

export interface Rendition {
  /** Path component: <name>.m3u8 and <name>/<n>.ts */
  name: string;
  bandwidth: number;
  resolution: string;
  frameRate: number;
}

/** A 6-rung ABR ladder, 234p .. 1080p, like a MediaLive HLS/MediaPackage output group. */
export const LADDER: readonly Rendition[] = [
  { name: '1080p', bandwidth: 6_000_000, resolution: '1920x1080', frameRate: 50 },
  { name: '720p', bandwidth: 3_500_000, resolution: '1280x720', frameRate: 50 },
  { name: '540p', bandwidth: 2_000_000, resolution: '960x540', frameRate: 25 },
  { name: '432p', bandwidth: 1_200_000, resolution: '768x432', frameRate: 25 },
  { name: '360p', bandwidth: 800_000, resolution: '640x360', frameRate: 25 },
  { name: '234p', bandwidth: 400_000, resolution: '416x234', frameRate: 25 },
];

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

/** The newest `window` segment numbers, oldest first; `discontinuity` marks the first segment of a later range. */
export function windowSegments(
  ranges: readonly ProducedRange[],
  segmentMs: number,
  now: number,
  window: number,
): { segments: Array<{ n: number; discontinuity: boolean }>; discontinuitySequence: number } {
  const completeUpTo = Math.floor(now / segmentMs) - 1;
  const picked: Array<{ n: number; discontinuity: boolean }> = [];
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

export function multivariantPlaylist(ladder: readonly Rendition[] = LADDER): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of ladder) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},AVERAGE-BANDWIDTH=${Math.round(r.bandwidth * 0.9)},RESOLUTION=${r.resolution},FRAME-RATE=${r.frameRate.toFixed(3)},CODECS="avc1.640028,mp4a.40.2"`,
      `${r.name}.m3u8`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A live media playlist: EXT-X-PROGRAM-DATE-TIME on every segment (as MediaPackage writes when the endpoint
 * asks for it), segment URIs relative to the playlist (`prefix` overrides for the slate, which is served
 * under another path than the one the player asked for).
 */
export function mediaPlaylist(opts: {
  segments: ReadonlyArray<{ n: number; discontinuity: boolean }>;
  discontinuitySequence: number;
  segmentMs: number;
  uri: (n: number) => string;
}): string {
  const first = opts.segments[0];
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${targetDurationS(opts.segmentMs)}`,
    `#EXT-X-MEDIA-SEQUENCE:${first ? first.n : 0}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${opts.discontinuitySequence}`,
  ];
  const extinf = `#EXTINF:${(opts.segmentMs / 1000).toFixed(3)},`;
  for (const s of opts.segments) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.n * opts.segmentMs).toISOString()}`, extinf, opts.uri(s.n));
  }
  return `${lines.join('\n')}\n`;
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

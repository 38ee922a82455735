// Synthetic live HLS media playlists shaped like a packager's output (MediaPackage / Apple's LL-HLS reference):
// PDT on every segment, LL-HLS parts for the newest segments, a PRELOAD-HINT and rendition reports.
// Used by the tests (loopback origins) and by bench/age.bench.ts.

export interface GenOptions {
  /** Media sequence number of the first listed segment. */
  mediaSequence: number;
  segments: number;
  segmentDuration: number;
  targetDuration?: number;
  /** Wall clock (epoch ms) of the first segment; null = no EXT-X-PROGRAM-DATE-TIME at all. */
  firstPdtMs: number | null;
  /** LL-HLS: part duration (s); parts are listed for the newest 3 segments plus `trailingParts` of the next one. */
  partDuration?: number;
  trailingParts?: number;
  endlist?: boolean;
  prefix?: string;
  /** Line ending (default "\n"). */
  eol?: string;
}

export function livePlaylist(o: GenOptions): string {
  const eol = o.eol ?? '\n';
  const td = o.targetDuration ?? Math.ceil(o.segmentDuration);
  const prefix = o.prefix ?? 'seg';
  const ll = o.partDuration !== undefined;
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${ll ? 9 : 3}`, `#EXT-X-TARGETDURATION:${td}`];
  if (ll) {
    lines.push(`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${td * 6},PART-HOLD-BACK=${((o.partDuration ?? 1) * 3).toFixed(3)}`);
    lines.push(`#EXT-X-PART-INF:PART-TARGET=${o.partDuration}`);
  }
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${o.mediaSequence}`);
  if (ll) lines.push(`#EXT-X-MAP:URI="${prefix}-init.mp4"`);
  const partsPerSegment = ll ? Math.round(o.segmentDuration / (o.partDuration as number)) : 0;
  const ext = ll ? 'mp4' : 'ts';
  for (let i = 0; i < o.segments; i++) {
    const msn = o.mediaSequence + i;
    if (o.firstPdtMs !== null) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(o.firstPdtMs + i * o.segmentDuration * 1000).toISOString()}`);
    if (ll && i >= o.segments - 3) {
      for (let p = 0; p < partsPerSegment; p++) {
        lines.push(`#EXT-X-PART:DURATION=${o.partDuration},URI="${prefix}-${msn}.${p}.${ext}"${p % 4 === 0 ? ',INDEPENDENT=YES' : ''}`);
      }
    }
    lines.push(`#EXTINF:${o.segmentDuration.toFixed(5)},`, `${prefix}-${msn}.${ext}`);
  }
  const next = o.mediaSequence + o.segments;
  if (ll) {
    const trailing = o.trailingParts ?? 0;
    for (let p = 0; p < trailing; p++) lines.push(`#EXT-X-PART:DURATION=${o.partDuration},URI="${prefix}-${next}.${p}.${ext}"${p % 4 === 0 ? ',INDEPENDENT=YES' : ''}`);
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${prefix}-${next}.${trailing}.${ext}"`);
    lines.push(`#EXT-X-RENDITION-REPORT:URI="../other/index.m3u8",LAST-MSN=${next},LAST-PART=${Math.max(0, trailing - 1)}`);
  }
  if (o.endlist) lines.push('#EXT-X-ENDLIST');
  return lines.join(eol) + eol;
}

/** A multivariant playlist over `names` (each `<name>/index.m3u8`). */
export function multivariant(names: string[]): string {
  const lines = ['#EXTM3U', '#EXT-X-INDEPENDENT-SEGMENTS'];
  names.forEach((n, i) => {
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${(i + 1) * 1_000_000},RESOLUTION=${640 * (i + 1)}x${360 * (i + 1)},CODECS="avc1.64001f,mp4a.40.2"`, `${n}/index.m3u8`);
  });
  return lines.join('\n') + '\n';
}

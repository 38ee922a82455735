// manifestAge: the age of an HLS media playlist without reading every line. The age depends only on the newest
// segments and the PDT that anchors them, so: read the header, find the last EXT-X-PROGRAM-DATE-TIME with one
// lastIndexOf, run the one-pass scanner (scanHls) over the tail from the segment that PDT belongs to, and count
// the EXTINFs before it with indexOf jumps (for the media sequence math). analyzeManifest (the full pass) adds
// the stream-contract checks. Anything unusual (multivariant, DASH, a media sequence out of place, a tail
// without a usable clock) falls back to analyzeManifest, so both always agree on the fields they share
// (test/manifest/quick-age.test.ts proves it on every fixture and on generated playlists).
import { analyzeManifest, mediaAheadOfNow } from './analyze.js';
import { scanHls } from './hls.js';
import { readDecimal, readInteger } from './scan-primitives.js';
import type { ManifestAnalysis } from './types.js';

export type ManifestAge = Pick<
  ManifestAnalysis,
  'format' | 'live' | 'newestMediaEnd' | 'liveEdge' | 'ageMs' | 'mediaSequence' | 'targetDuration' | 'segments' | 'lastMsn' | 'partsAfterLast'
>;

const PDT_LINE = '\n#EXT-X-PROGRAM-DATE-TIME:';
/** Earlier PDTs tried when the newest one anchors no complete, non-gap segment (e.g. it announces a partial one). */
const MAX_ANCHORS = 4;

function pick(a: ManifestAnalysis): ManifestAge {
  return {
    format: a.format,
    live: a.live,
    newestMediaEnd: a.newestMediaEnd,
    liveEdge: a.liveEdge,
    ageMs: a.ageMs,
    mediaSequence: a.mediaSequence,
    targetDuration: a.targetDuration,
    segments: a.segments,
    lastMsn: a.lastMsn ?? null,
    partsAfterLast: a.partsAfterLast ?? 0,
  };
}

/** `tag` starts at `s` (short literals, header lines only). */
function at(text: string, s: number, tag: string): boolean {
  for (let i = 0; i < tag.length; i++) if (text.charCodeAt(s + i) !== tag.charCodeAt(i)) return false;
  return true;
}

function attr(text: string, name: string, s: number, e: number): number {
  let i = text.indexOf(name, s);
  while (i >= 0 && i < e) {
    const before = text.charCodeAt(i - 1);
    if ((before === 58 || before === 44) && text.charCodeAt(i + name.length) === 61) return i + name.length + 1;
    i = text.indexOf(name, i + 1);
  }
  return -1;
}

/** A URI line (not blank, not a tag) starts at `s0` and ends at `end`. */
function isUriLine(text: string, s0: number, end: number): boolean {
  let s = s0;
  while (s < end && text.charCodeAt(s) <= 32) s++;
  return s < end && text.charCodeAt(s) !== 35;
}

/**
 * Start of the segment block holding the line that starts at `line`: just after the nearest URI line above it
 * (tags between two URIs belong to the segment below), or `floor`.
 */
function blockStartAbove(text: string, line: number, floor: number): number {
  let end = line - 1; // the '\n' that ends the line above
  while (end > floor) {
    const nl = text.lastIndexOf('\n', end - 1);
    const s0 = nl < floor ? floor : nl + 1;
    if (isUriLine(text, s0, end)) return end + 1;
    if (s0 <= floor) return floor;
    end = s0 - 1;
  }
  return floor;
}

/** Start of the block of the last URI line of the playlist (-1 when there is none after `floor`). */
function lastBlockStart(text: string, floor: number): number {
  let end = text.length;
  while (end > floor) {
    const nl = text.lastIndexOf('\n', end - 1);
    const s0 = nl < floor ? floor : nl + 1;
    if (isUriLine(text, s0, end)) return blockStartAbove(text, s0, floor);
    if (s0 <= floor) return -1;
    end = s0 - 1;
  }
  return -1;
}

export function manifestAge(text: string, opts: { now?: Date | number } = {}): ManifestAge {
  const nowMs = opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  return tailAge(text, nowMs) ?? pick(analyzeManifest(text, { now: nowMs }));
}

/** The newest complete segment's start (ISO) and duration, which the ladder-alignment check reads. */
export type TailReading = ManifestAge & Pick<ManifestAnalysis, 'lastSegmentStart' | 'lastSegmentDuration'>;

/**
 * The tail-first reading, or null when the playlist needs the full pass (then manifestAge falls back).
 * `lastSegment`: also return the newest segment's start and duration (ManifestReader feeds them to the ladder check).
 */
export function tailAge(text: string, nowMs: number): ManifestAge | null;
export function tailAge(text: string, nowMs: number, lastSegment: true): TailReading | null;
export function tailAge(text: string, nowMs: number, lastSegment = false): ManifestAge | TailReading | null {
  const len = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  // 1. The header, line by line, up to the first segment tag.
  let targetDuration = Number.NaN;
  let mediaSequence = 0;
  let skipped = 0;
  let vod = false;
  let sawHeader = false;
  let sawMediaSequence = false;
  let headerEnd = -1;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    let s = pos;
    let e = nl;
    while (s < e && text.charCodeAt(s) <= 32) s++;
    while (e > s && text.charCodeAt(e - 1) <= 32) e--;
    if (s < e) {
      if (text.charCodeAt(s) !== 35) return null; // a URI before any EXTINF
      if (text.charCodeAt(s + 1) === 69 && text.charCodeAt(s + 2) === 88 && text.charCodeAt(s + 3) === 84) {
        const c4 = text.charCodeAt(s + 4);
        if (c4 === 73) {
          headerEnd = pos; // #EXTI(NF): the first segment
          break;
        }
        if (c4 === 45) {
          // "#EXT-X-" + the tag name's first letter
          switch (text.charCodeAt(s + 7)) {
            case 80: // P: PROGRAM-DATE-TIME / PART start the first segment; PLAYLIST-TYPE
              // PROGRAM-DATE-TIME: ('R','O' and ':' at 24) or PART: (':' at 11; PART-INF has '-')
              if ((text.charCodeAt(s + 9) === 79 && text.charCodeAt(s + 24) === 58) || (text.charCodeAt(s + 8) === 65 && text.charCodeAt(s + 11) === 58)) headerEnd = pos;
              else if (at(text, s, '#EXT-X-PLAYLIST-TYPE:VOD')) vod = true;
              break;
            case 71: // G: a gap starts the first segment
              if (e === s + 10) headerEnd = pos;
              break;
            case 84: // T
              if (text.charCodeAt(s + 21) === 58 && text.charCodeAt(s + 8) === 65) targetDuration = readDecimal(text, s + 22, e); // TARGETDURATION:
              break;
            case 77: // M
              if (text.charCodeAt(s + 21) === 58 && text.charCodeAt(s + 12) === 45) {
                // MEDIA-SEQUENCE:
                const v = readInteger(text, s + 22, e);
                if (v === v) mediaSequence = v;
                sawMediaSequence = true;
              }
              break;
            case 83: // S: SKIP, STREAM-INF (multivariant: full pass)
              if (at(text, s, '#EXT-X-SKIP:')) {
                const v = attr(text, 'SKIPPED-SEGMENTS', s + 11, e);
                const n = v >= 0 ? readInteger(text, v, e) : Number.NaN;
                if (n === n) skipped += n;
              } else if (at(text, s, '#EXT-X-STREAM-INF:')) return null;
              break;
            case 73: // I: I-FRAME-STREAM-INF (multivariant)
              if (at(text, s, '#EXT-X-I-FRAME-STREAM-INF:')) return null;
              break;
            default:
              break;
          }
          if (headerEnd >= 0) break;
        } else if (at(text, s, '#EXTM3U')) sawHeader = true;
      }
    }
    pos = nl + 1;
  }
  if (headerEnd <= 0 || !sawHeader) return null; // no segment, or a document the full pass should judge
  // A media sequence after the first segment tag (out of order): the full pass handles it.
  if (!sawMediaSequence && text.indexOf('\n#EXT-X-MEDIA-SEQUENCE:', headerEnd - 1) >= 0) return null;
  if (targetDuration !== targetDuration) {
    // Rare: the target duration after the segments.
    const td = text.indexOf('\n#EXT-X-TARGETDURATION:', headerEnd - 1);
    if (td >= 0) targetDuration = readDecimal(text, td + 23, len);
  }

  // 2. The tail: from the block of the newest PDT (or of the last segment when there is no PDT at all).
  const hasPdt = text.indexOf(PDT_LINE, headerEnd - 1) >= 0; // forward search first: fast when absent
  let anchor = hasPdt ? text.lastIndexOf(PDT_LINE) : -1;
  for (let attempt = 0; attempt < MAX_ANCHORS; attempt++) {
    const from = hasPdt ? blockStartAbove(text, anchor + 1, headerEnd) : lastBlockStart(text, headerEnd);
    if (from < 0) return null;
    const tail = scanHls(text, from, nowMs).analysis;
    if (tail.format !== 'hls-media') return null;
    if (hasPdt && tail.newestMediaEnd === null) {
      // This PDT anchors no complete non-gap segment (it announces a partial one, is invalid, or only gaps
      // follow): take the one before it.
      if (from <= headerEnd) return null;
      anchor = text.lastIndexOf(PDT_LINE, anchor - 1);
      if (anchor < headerEnd - 1) return null;
      continue;
    }
    if (tail.segments === 0) return null;

    // 3. The segments before the tail: one indexOf jump per EXTINF. V8 searches a 2-character pattern several
    // times faster than "#EXTINF:", so look for its "F:" and check the characters before it.
    let before = 0;
    for (let f = text.indexOf('F:', headerEnd + 6); f >= 0 && f < from; f = text.indexOf('F:', f + 2)) {
      const i = f - 6;
      if (text.charCodeAt(i + 5) !== 78 || text.charCodeAt(i + 4) !== 73 || text.charCodeAt(i) !== 35 || text.charCodeAt(i + 1) !== 69) continue;
      if (text.charCodeAt(i + 2) !== 88 || text.charCodeAt(i + 3) !== 84) continue; // not "#EXTINF:"
      if (i === headerEnd || text.charCodeAt(i - 1) === 10) before++;
      else return null; // indented or mid-line: leave it to the full pass
    }
    const segments = skipped + before + tail.segments;
    const td = targetDuration === targetDuration ? targetDuration : null;
    const age: ManifestAge = {
      format: 'hls-media',
      live: !tail.ended && !vod,
      newestMediaEnd: tail.newestMediaEnd,
      liveEdge: tail.liveEdge,
      ageMs: mediaAheadOfNow(tail.ageMs, td) ? null : tail.ageMs, // as analyzeManifest: no age from a clock ahead of now
      mediaSequence,
      targetDuration: td,
      segments,
      lastMsn: mediaSequence + segments - 1,
      partsAfterLast: tail.partsAfterLast ?? 0,
    };
    if (!lastSegment) return age;
    const reading = age as TailReading;
    reading.lastSegmentStart = tail.lastSegmentStart ?? null;
    reading.lastSegmentDuration = tail.lastSegmentDuration ?? null;
    return reading;
  }
  return null;
}

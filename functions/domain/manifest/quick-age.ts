// manifestAge: the age of an HLS media playlist without visiting every line. The age depends on the newest
// segment and the nearest PDT before it, so the playlist is read from the END backwards, and the rest only
// through String#indexOf jumps (the header, the EXTINF count for the media sequence math). This is what a probe
// needs every tick for every rendition; analyzeManifest (one full pass) adds the stream-contract checks.
// Anything unusual (multivariant, DASH, a URI without EXTINF in the tail...) falls back to analyzeManifest, so
// the answer is always the same as analyzeManifest's for the fields both return (test/manifest proves it on
// every fixture).
import { analyzeManifest } from './analyze.js';
import { isoMs, readDecimal, readInteger, readIsoDateTime } from './scan-primitives.js';
import type { ManifestAnalysis } from './types.js';

export type ManifestAge = Pick<
  ManifestAnalysis,
  'format' | 'live' | 'newestMediaEnd' | 'liveEdge' | 'ageMs' | 'mediaSequence' | 'targetDuration' | 'segments' | 'lastMsn' | 'partsAfterLast'
>;

const PDT = '#EXT-X-PROGRAM-DATE-TIME:';

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

/** `tag` starts at `s` (short literals only). */
function at(text: string, s: number, tag: string): boolean {
  for (let i = 0; i < tag.length; i++) if (text.charCodeAt(s + i) !== tag.charCodeAt(i)) return false;
  return true;
}

const EXTINF_TAG = 1;
const PDT_TAG = 2;
const PART_TAG = 3;
const GAP_TAG = 4;
const ENDLIST_TAG = 5;
const OTHER_X_TAG = 6;
const OTHER = 0;

/** Which tag the line [s, e) holds, from a few fixed character positions (no string compare loop). */
function tagKind(text: string, s: number, e: number): number {
  if (text.charCodeAt(s + 1) !== 69 || text.charCodeAt(s + 2) !== 88 || text.charCodeAt(s + 3) !== 84) return OTHER; // "#EXT"
  const c4 = text.charCodeAt(s + 4);
  if (c4 === 73) return text.charCodeAt(s + 7) === 58 && text.charCodeAt(s + 5) === 78 ? EXTINF_TAG : OTHER; // "#EXTINF:"
  if (c4 !== 45) return OTHER;
  switch (text.charCodeAt(s + 7)) {
    case 80: // P
      if (text.charCodeAt(s + 8) === 82 && text.charCodeAt(s + 9) === 79 && text.charCodeAt(s + 24) === 58) return PDT_TAG; // PROGRAM-DATE-TIME:
      if (text.charCodeAt(s + 8) === 65 && text.charCodeAt(s + 11) === 58) return PART_TAG; // PART:
      return OTHER_X_TAG;
    case 71: // G
      return e === s + 10 ? GAP_TAG : OTHER_X_TAG;
    case 69: // E
      return e === s + 14 && text.charCodeAt(s + 8) === 78 ? ENDLIST_TAG : OTHER_X_TAG;
    default:
      return OTHER_X_TAG;
  }
}

/** Start of the line that ends at `end` (exclusive; `end` is a '\n' position or the text length). */
function lineStart(text: string, end: number, floor: number): number {
  if (end <= floor) return floor;
  const nl = text.lastIndexOf('\n', end - 1);
  return nl < floor ? floor : nl + 1;
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

export function manifestAge(text: string, opts: { now?: Date | number } = {}): ManifestAge {
  const nowMs = opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  return tailAge(text, nowMs) ?? pick(analyzeManifest(text, { now: nowMs }));
}

/** The tail-first reading, or null when the playlist needs the full pass (then manifestAge falls back). */
export function tailAge(text: string, nowMs: number): ManifestAge | null {
  const fallback = () => null;
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
      if (text.charCodeAt(s) !== 35) return fallback(); // a URI before any EXTINF: not a plain media playlist
      const kind = tagKind(text, s, e);
      if (kind === EXTINF_TAG || kind === PART_TAG || kind === PDT_TAG || kind === GAP_TAG) {
        headerEnd = pos;
        break;
      }
      if (kind === OTHER_X_TAG) {
        if (at(text, s, '#EXT-X-STREAM-INF:') || at(text, s, '#EXT-X-I-FRAME-STREAM-INF:')) return fallback();
        if (at(text, s, '#EXT-X-TARGETDURATION:')) targetDuration = readDecimal(text, s + 22, e);
        else if (at(text, s, '#EXT-X-MEDIA-SEQUENCE:')) {
          const v = readInteger(text, s + 22, e);
          if (v === v) mediaSequence = v;
          sawMediaSequence = true;
        } else if (at(text, s, '#EXT-X-PLAYLIST-TYPE:VOD')) vod = true;
        else if (at(text, s, '#EXT-X-SKIP:')) {
          const v = attr(text, 'SKIPPED-SEGMENTS', s + 11, e);
          const n = v >= 0 ? readInteger(text, v, e) : Number.NaN;
          if (n === n) skipped += n;
        }
      } else if (at(text, s, '#EXTM3U')) sawHeader = true;
    }
    pos = nl + 1;
  }
  if (headerEnd < 0 || !sawHeader) return fallback(); // no segment, or a document the full pass should judge
  // A media sequence after the first segment tag (out of order): the full pass handles it.
  if (!sawMediaSequence && text.indexOf('\n#EXT-X-MEDIA-SEQUENCE:', headerEnd - 1) >= 0) return fallback();
  if (targetDuration !== targetDuration) {
    // Rare: the target duration after the segments.
    const td = text.indexOf('\n#EXT-X-TARGETDURATION:', headerEnd - 1);
    if (td >= 0) targetDuration = readDecimal(text, td + 23, len);
  }

  // 2. Count the segments: one indexOf jump per EXTINF, at the start of a line. V8 searches a 2-character
  // pattern several times faster than "#EXTINF:", so look for its "F:" and check the six characters before.
  let extinfs = 0;
  for (let f = text.indexOf('F:', headerEnd + 6); f >= 0; f = text.indexOf('F:', f + 2)) {
    const i = f - 6;
    if (text.charCodeAt(i + 5) !== 78 || text.charCodeAt(i + 4) !== 73 || text.charCodeAt(i) !== 35 || text.charCodeAt(i + 1) !== 69) continue;
    if (text.charCodeAt(i + 2) !== 88 || text.charCodeAt(i + 3) !== 84) continue; // not "#EXTINF:"
    if (i === headerEnd || text.charCodeAt(i - 1) === 10) extinfs++;
    else return fallback(); // indented or mid-line: leave it to the full pass
  }
  const firstPdt = text.indexOf(PDT, headerEnd > 0 ? headerEnd - 1 : 0);

  // 3. From the end backwards: trailing parts, then segment blocks (the tags above each URI) up to a PDT.
  let ended = false;
  let dangling = 0;
  let parts = 0;
  let partsSum = 0;
  let partsAfterMedia = -1; // sum of parts after the newest non-gap part (seen first from the bottom)
  let trailingPdt = Number.NaN;
  let seenUri = false;
  // current block (segment below the cursor, read bottom-up)
  let blockDur = Number.NaN;
  let blockPdt = Number.NaN;
  let blockGap = false;
  // D = sum of durations of the blocks from the cursor to the newest segment
  let durSum = 0;
  let gapTail = -1; // durSum before the newest non-gap segment (its end = lastSegEnd - gapTail)
  let lastSegEnd = Number.NaN; // end of the newest segment, from the nearest PDT at or before it
  let anchorEnd = Number.NaN; // same, from the anchor that also covers the newest non-gap segment
  const floor = headerEnd;
  const wantClock = firstPdt >= 0;

  /** The block below the cursor is complete. True when nothing older can change the result. */
  const closeBlock = (): boolean => {
    if (gapTail < 0 && !blockGap) gapTail = durSum;
    durSum += blockDur;
    if (blockPdt === blockPdt) {
      const end = blockPdt + durSum * 1000;
      if (lastSegEnd !== lastSegEnd) lastSegEnd = end;
      if (gapTail >= 0) {
        anchorEnd = end;
        return true;
      }
    }
    return false;
  };

  let end = len; // exclusive end of the current line
  let done = false;
  for (;;) {
    const s0 = lineStart(text, end, floor);
    let s = s0;
    let e = end;
    while (s < e && text.charCodeAt(s) <= 32) s++;
    while (e > s && text.charCodeAt(e - 1) <= 32) e--;
    if (s < e) {
      if (text.charCodeAt(s) !== 35) {
        // A URI: the block below it (if any) is complete, and a new block starts.
        if (seenUri) {
          if (blockDur !== blockDur) return fallback(); // a URI without EXTINF
          if (closeBlock() || !wantClock) {
            done = true;
            break;
          }
        }
        seenUri = true;
        blockDur = Number.NaN;
        blockPdt = Number.NaN;
        blockGap = false;
      } else {
        switch (tagKind(text, s, e)) {
          case EXTINF_TAG:
            if (!seenUri) dangling++;
            else if (blockDur === blockDur) return fallback(); // two EXTINF for one URI
            else blockDur = readDecimal(text, s + 8, e);
            break;
          case PDT_TAG: {
            // Invalid PDTs are ignored (analyzeManifest reports them); the last valid one above the URI applies.
            const v = readIsoDateTime(text, s + PDT.length, e);
            if (v === v) {
              if (!seenUri) {
                if (trailingPdt !== trailingPdt) trailingPdt = v;
              } else if (blockPdt !== blockPdt) blockPdt = v;
            }
            break;
          }
          case PART_TAG:
            if (!seenUri) {
              const v = attr(text, 'DURATION', s + 11, e);
              const d = v >= 0 ? readDecimal(text, v, e) : Number.NaN;
              if (d === d) {
                parts++;
                if (partsAfterMedia < 0) {
                  const g = attr(text, 'GAP', s + 11, e);
                  if (!(g >= 0 && at(text, g, 'YES'))) partsAfterMedia = partsSum;
                }
                partsSum += d;
              }
            }
            break;
          case GAP_TAG:
            blockGap = true;
            break;
          case ENDLIST_TAG:
            ended = true;
            break;
          default:
            break;
        }
      }
    }
    if (s0 <= floor) break;
    end = s0 - 1;
  }
  if (!seenUri) return fallback();
  if (!done) {
    if (blockDur !== blockDur) return fallback();
    closeBlock();
  }

  const segments = extinfs - dangling + skipped;
  const lastMediaEnd = gapTail >= 0 && anchorEnd === anchorEnd ? anchorEnd - gapTail * 1000 : Number.NaN;
  let edge = lastMediaEnd;
  const partsMediaSum = partsAfterMedia >= 0 ? partsSum - partsAfterMedia : 0;
  if (partsMediaSum > 0) {
    const base = trailingPdt === trailingPdt ? trailingPdt : lastSegEnd;
    if (base === base) edge = base + partsMediaSum * 1000;
  }
  return {
    format: 'hls-media',
    live: !ended && !vod,
    newestMediaEnd: lastMediaEnd === lastMediaEnd ? isoMs(lastMediaEnd) : null,
    liveEdge: edge === edge ? isoMs(edge) : null,
    ageMs: edge === edge ? Math.round(nowMs - edge) : null,
    mediaSequence,
    targetDuration: targetDuration === targetDuration ? targetDuration : null,
    segments,
    lastMsn: segments > 0 ? mediaSequence + segments - 1 : null,
    partsAfterLast: parts,
  };
}

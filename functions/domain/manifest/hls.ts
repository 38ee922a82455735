// HLS playlists (RFC 8216 / rfc8216bis) read in ONE pass over the text, line by line with indexOf, without
// allocating an object per segment or a string per line: the age of a 40,000-segment playlist is needed every
// couple of seconds for every rendition of every channel. Only what the age and the stream-contract checks need
// is kept: running sums and the newest segment.
import { PROBLEM, problem } from './problems.js';
import { isoMs, lastDecimalStop, readDecimal, readInteger, readIsoDateTime, readUtcTimeOfDay } from './scan-primitives.js';
import type { ManifestAnalysis, Problem, Rendition } from './types.js';

const HASH = 35;
/** |PDT - (previous PDT carried forward by EXTINF)| above this is a drift (no discontinuity in between). */
const PDT_DRIFT_MS = 1000;
/**
 * Variants (and alternate renditions) kept from a multivariant playlist. Real ladders hold a few dozen; the probe
 * fetches every one, so a hostile playlist listing 200,000 must not become 200,000 fetches.
 */
export const MAX_VARIANTS = 256;
/** An EXTINF above this (seconds) is absurd for a live segment: it would move the wall clock by hours. */
export const MAX_EXTINF_S = 3600;

const PDT = '#EXT-X-PROGRAM-DATE-TIME:';
const PART = '#EXT-X-PART:';
const GAP = '#EXT-X-GAP';
const DISCONTINUITY = '#EXT-X-DISCONTINUITY';
const TARGET_DURATION = '#EXT-X-TARGETDURATION:';
const MEDIA_SEQUENCE = '#EXT-X-MEDIA-SEQUENCE:';
const SKIP = '#EXT-X-SKIP:';
const ENDLIST = '#EXT-X-ENDLIST';
const PLAYLIST_TYPE = '#EXT-X-PLAYLIST-TYPE:';
const STREAM_INF = '#EXT-X-STREAM-INF:';
const MEDIA = '#EXT-X-MEDIA:';
const EXTM3U = '#EXTM3U';

/** Looks for `NAME=` as an attribute (after ':' or ',') inside [start, end); returns the value's start or -1. */
function attributeValueAt(text: string, name: string, start: number, end: number): number {
  let i = text.indexOf(name, start);
  while (i >= 0 && i < end) {
    const before = text.charCodeAt(i - 1);
    if ((before === 58 || before === 44) && text.charCodeAt(i + name.length) === 61) return i + name.length + 1;
    i = text.indexOf(name, i + 1);
  }
  return -1;
}

/** The ISO dates (YYYY-MM-DD) at `a` and at `b` are the same: the 8 digits, day first (what changes first). */
function sameDate(text: string, a: number, b: number): boolean {
  return (
    text.charCodeAt(a + 9) === text.charCodeAt(b + 9) &&
    text.charCodeAt(a + 8) === text.charCodeAt(b + 8) &&
    text.charCodeAt(a + 6) === text.charCodeAt(b + 6) &&
    text.charCodeAt(a + 5) === text.charCodeAt(b + 5) &&
    text.charCodeAt(a + 3) === text.charCodeAt(b + 3) &&
    text.charCodeAt(a + 2) === text.charCodeAt(b + 2) &&
    text.charCodeAt(a + 1) === text.charCodeAt(b + 1) &&
    text.charCodeAt(a) === text.charCodeAt(b) &&
    text.charCodeAt(a + 10) === text.charCodeAt(b + 10)
  );
}

const NO_PARTS = { parts: 0, partsMediaSum: 0 };

/**
 * The EXT-X-PART lines from `from` to the end (the parts after the newest complete segment): their count and
 * the duration up to the last part that is not GAP=YES. A PRELOAD-HINT is not media and is not counted.
 */
function sumParts(text: string, from: number, len: number): { parts: number; partsMediaSum: number } {
  let parts = 0;
  let sum = 0;
  let mediaSum = 0;
  let pos = from;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    let s = pos;
    let e = nl;
    pos = nl + 1;
    while (s < e && text.charCodeAt(s) <= 32) s++;
    while (e > s && text.charCodeAt(e - 1) <= 32) e--;
    // "#EXT-X-PART:" ('P','A' at 7-8, ':' at 11; PART-INF has '-')
    if (text.charCodeAt(s + 8) !== 65 || text.charCodeAt(s + 11) !== 58 || text.charCodeAt(s + 7) !== 80 || text.charCodeAt(s + 4) !== 45) continue;
    const attrs = s + PART.length - 1;
    const v = attributeValueAt(text, 'DURATION', attrs, e);
    const d = v >= 0 ? readDecimal(text, v, e) : Number.NaN;
    if (d !== d) continue;
    parts++;
    sum += d;
    const gap = attributeValueAt(text, 'GAP', attrs, e);
    if (!(gap >= 0 && text.startsWith('YES', gap))) mediaSum = sum;
  }
  return { parts, partsMediaSum: mediaSum };
}

/** Attribute list of a (non hot path) tag: multivariant tags only. Quoted values may hold commas. */
export function parseAttributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  for (let m = re.exec(list); m; m = re.exec(list)) {
    const raw = m[2] ?? '';
    out[m[1] ?? ''] = raw.startsWith('"') ? raw.slice(1, -1) : raw;
  }
  return out;
}

export interface HlsScanResult {
  analysis: ManifestAnalysis;
  /** True when the text held no #EXT tag at all: not an HLS playlist. */
  notHls: boolean;
  /** Wall-clock start (epoch ms) of the segment numbered `probeMsn`, NaN when absent or without a clock. */
  probeStartMs: number;
}

function resolve(uri: string, base: string | undefined): string | undefined {
  if (!base) return undefined;
  try {
    return new URL(uri, base).toString();
  } catch {
    return undefined;
  }
}

function variantName(attrs: Record<string, string>, uri: string): string {
  const bw = attrs.BANDWIDTH ? Number(attrs.BANDWIDTH) : NaN;
  if (attrs.RESOLUTION && Number.isFinite(bw)) return `${attrs.RESOLUTION}@${Math.round(bw / 1000)}k`;
  return uri;
}

/**
 * Scans an HLS playlist (media or multivariant) that starts at `start` (after a BOM).
 * `nowMs` only feeds ageMs; everything else depends on the text alone.
 */
export function scanHls(text: string, start: number, nowMs: number, baseUrl?: string, probeMsn = -1): HlsScanResult {
  const len = text.length;
  let pos = start;
  let sawExtTag = false;
  let sawHeader = false;

  let targetDuration = Number.NaN;
  let mediaSequence = 0;
  let skipped = 0;
  let listed = 0;
  let ended = false;
  let vod = false;

  // per pending segment (tags apply to the NEXT URI)
  let pendingDur = Number.NaN;
  let pendingPdt = Number.NaN;
  let pendingGap = false;
  let pendingDisc = false;
  let pendingExtinf = false;

  // wall clock carried forward: end of the previous complete segment (NaN until a PDT is seen)
  let clockEnd = Number.NaN;
  let lastSegStart = Number.NaN;
  let lastSegEnd = Number.NaN;
  let lastSegDur = Number.NaN;
  let lastSegGap = false;
  let lastMediaEnd = Number.NaN;

  // LL-HLS: line where the parts after the newest complete segment begin (-1: none so far)
  let firstPartLine = -1;
  // PDT fast path: where the date of the last 'Z' PDT sits in the text, and that UTC day's epoch ms
  let pdtDatePos = -1;
  let pdtDayMs = 0;

  // contract checks (counts and extremes only)
  let maxDur = 0;
  let listedDuration = 0;
  let overTarget = 0;
  let overTargetFrom = Number.POSITIVE_INFINITY;
  let drifts = 0;
  let worstDriftMs = 0;
  let invalidPdts = 0;
  let firstInvalidPdt = '';
  let invalidExtinfs = 0;
  let firstInvalidExtinf = '';
  let sawPdt = false;
  let probeStartMs = Number.NaN;

  // multivariant
  const renditions: Rendition[] = [];
  const renditionUris = new Set<string>();
  let pendingVariant: Record<string, string> | null = null;
  /** A STREAM-INF over the bound: its URI line is skipped unread. */
  let pendingVariantSkipped = false;
  let variantCount = 0;

  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    let s = pos;
    let e = nl;
    pos = nl + 1;
    while (s < e && text.charCodeAt(s) <= 32) s++;
    while (e > s && text.charCodeAt(e - 1) <= 32) e--;
    if (s === e) continue;

    if (text.charCodeAt(s) !== HASH) {
      // A URI line.
      if (pendingVariantSkipped) {
        pendingVariantSkipped = false;
        continue;
      }
      if (pendingVariant) {
        const uri = text.slice(s, e);
        if (!renditionUris.has(uri)) {
          renditionUris.add(uri);
          const bw = pendingVariant.BANDWIDTH ? Number(pendingVariant.BANDWIDTH) : undefined;
          renditions.push({
            uri,
            url: resolve(uri, baseUrl),
            name: variantName(pendingVariant, uri),
            bandwidth: bw !== undefined && Number.isFinite(bw) ? bw : undefined,
            resolution: pendingVariant.RESOLUTION,
            type: 'video',
          });
        }
        pendingVariant = null;
        continue;
      }
      if (!pendingExtinf) continue; // a URI without EXTINF is not a segment
      const dur = pendingDur; // NaN when the EXTINF was invalid
      listed++;
      let segStart = Number.NaN;
      if (pendingPdt === pendingPdt) {
        if (clockEnd === clockEnd && !pendingDisc) {
          const drift = pendingPdt - clockEnd;
          const abs = drift < 0 ? -drift : drift;
          if (abs > PDT_DRIFT_MS) {
            drifts++;
            if (abs > (worstDriftMs < 0 ? -worstDriftMs : worstDriftMs)) worstDriftMs = drift;
          }
        }
        segStart = pendingPdt;
      } else if (clockEnd === clockEnd) {
        segStart = clockEnd;
      }
      if (probeMsn >= 0 && mediaSequence + skipped + listed - 1 === probeMsn) probeStartMs = segStart;
      const segEnd = segStart + dur * 1000;
      clockEnd = segEnd;
      lastSegStart = segStart;
      lastSegEnd = segEnd;
      lastSegDur = dur;
      lastSegGap = pendingGap;
      if (!pendingGap) lastMediaEnd = segEnd;
      if (dur > maxDur) maxDur = dur;
      if (dur === dur) listedDuration += dur;
      if (dur >= overTargetFrom) overTarget++; // = Math.round(dur) > TD, without the call
      pendingExtinf = false;
      pendingDur = Number.NaN;
      pendingPdt = Number.NaN;
      pendingGap = false;
      pendingDisc = false;
      firstPartLine = -1;
      continue;
    }

    // A tag. Dispatch on fixed character positions rather than a chain of startsWith calls: this runs for
    // every line of every playlist ("#EXT" + 'I' = EXTINF, "#EXT-X-" + first letter of the tag name).
    const c4 = text.charCodeAt(s + 4);
    // "#EXTINF:" (every other line of a playlist): 'I' at 4, ':' at 7, "#E" and 'T' at 3. No other tag matches.
    if (c4 === 73 /* I */ && text.charCodeAt(s + 7) === 58 && text.charCodeAt(s + 1) === 69 && text.charCodeAt(s + 3) === 84) {
      sawExtTag = true;
      pendingExtinf = true;
      pendingDur = readDecimal(text, s + 8, e);
      // "#EXTINF:<duration>,[<title>]": anything but a comma (or the line end) after the number, a negative or
      // absurd value is no duration: the segment still counts, its wall clock is unknown until the next PDT.
      if (pendingDur === pendingDur && pendingDur <= MAX_EXTINF_S) {
        const stop = lastDecimalStop();
        if (stop === e || text.charCodeAt(stop) === 44 /* , */ || text.charCodeAt(stop) === 32) continue;
      }
      pendingDur = Number.NaN;
      invalidExtinfs++;
      if (!firstInvalidExtinf) firstInvalidExtinf = text.slice(s + 8, e);
      continue;
    }
    if (text.charCodeAt(s + 1) !== 69 /* E */ || text.charCodeAt(s + 2) !== 88 /* X */ || text.charCodeAt(s + 3) !== 84 /* T */) continue; // a comment
    sawExtTag = true;
    if (c4 !== 45 /* - */) {
      if (text.startsWith(EXTM3U, s) && e === s + EXTM3U.length) sawHeader = true;
      continue;
    }
    switch (text.charCodeAt(s + 7)) {
      case 80: // P: PROGRAM-DATE-TIME, PART, PLAYLIST-TYPE (PART-INF, PRELOAD-HINT ignored)
        // "#EXT-X-PRO" + ':' at 24 is PROGRAM-DATE-TIME (PRELOAD-HINT has 'E' at 9); "#EXT-X-PART:" (PART-INF has '-').
        if (text.charCodeAt(s + 9) === 79 /* O */ && text.charCodeAt(s + 24) === 58 && text.charCodeAt(s + 8) === 82 /* R */) {
          const vs = s + PDT.length;
          let v: number;
          // Same UTC date as the previous PDT (the common case): only the time of day needs reading.
          if (pdtDatePos >= 0 && text.charCodeAt(e - 1) === 90 /* Z */ && sameDate(text, vs, pdtDatePos)) {
            v = readUtcTimeOfDay(text, vs + 11, e - 1);
            v = v === v ? pdtDayMs + v : readIsoDateTime(text, vs, e);
          } else {
            v = readIsoDateTime(text, vs, e);
            if (v === v && text.charCodeAt(e - 1) === 90) {
              pdtDatePos = vs;
              pdtDayMs = Math.floor(v / 86_400_000) * 86_400_000;
            }
          }
          if (v === v) {
            pendingPdt = v;
            sawPdt = true;
          } else {
            invalidPdts++;
            if (!firstInvalidPdt) firstInvalidPdt = text.slice(vs, e);
          }
        } else if (text.charCodeAt(s + 8) === 65 /* A */ && text.charCodeAt(s + 11) === 58 /* : */) {
          // Parts only matter after the newest complete segment: remember where they start, read them at the end.
          if (firstPartLine < 0) firstPartLine = s;
        } else if (text.startsWith(PLAYLIST_TYPE, s)) {
          if (text.startsWith('VOD', s + PLAYLIST_TYPE.length)) vod = true;
        }
        break;
      case 71: // G
        if (text.startsWith(GAP, s) && e === s + GAP.length) pendingGap = true;
        break;
      case 68: // D: DISCONTINUITY (not -SEQUENCE, not DATERANGE)
        if (e === s + DISCONTINUITY.length && text.startsWith(DISCONTINUITY, s)) pendingDisc = true;
        break;
      case 84: // T
        if (text.startsWith(TARGET_DURATION, s)) {
          targetDuration = readDecimal(text, s + TARGET_DURATION.length, e);
          overTargetFrom = targetDuration === targetDuration ? Math.floor(targetDuration) + 0.5 : Number.POSITIVE_INFINITY;
        }
        break;
      case 77: // M: MEDIA-SEQUENCE, MEDIA (MAP ignored)
        if (text.startsWith(MEDIA_SEQUENCE, s)) {
          const v = readInteger(text, s + MEDIA_SEQUENCE.length, e);
          if (v === v) mediaSequence = v;
        } else if (text.startsWith(MEDIA, s)) {
          const attrs = renditions.length < MAX_VARIANTS ? parseAttributes(text.slice(s + MEDIA.length, e)) : {};
          if (attrs.TYPE === 'AUDIO' && attrs.URI && !renditionUris.has(attrs.URI)) {
            renditionUris.add(attrs.URI);
            renditions.push({ uri: attrs.URI, url: resolve(attrs.URI, baseUrl), name: `audio:${attrs.NAME ?? attrs.URI}`, type: 'audio' });
          }
        }
        break;
      case 83: // S: SKIP, STREAM-INF (SERVER-CONTROL, START ignored)
        if (text.startsWith(SKIP, s)) {
          const v = attributeValueAt(text, 'SKIPPED-SEGMENTS', s + SKIP.length - 1, e);
          const n = v >= 0 ? readInteger(text, v, e) : Number.NaN;
          // The skipped segments' wall clock is unknown here; the next PDT (required after a skip) re-anchors.
          if (n === n) skipped += n;
        } else if (text.startsWith(STREAM_INF, s)) {
          variantCount++;
          pendingVariantSkipped = renditions.length >= MAX_VARIANTS;
          pendingVariant = pendingVariantSkipped ? null : parseAttributes(text.slice(s + STREAM_INF.length, e));
        }
        break;
      case 69: // E
        if (text.startsWith(ENDLIST, s)) ended = true;
        break;
      default:
        break;
    }
  }

  const { parts, partsMediaSum } = firstPartLine >= 0 ? sumParts(text, firstPartLine, len) : NO_PARTS;
  const problems: Problem[] = [];
  const segments = listed + skipped;

  if (!sawExtTag) {
    return {
      notHls: true,
      probeStartMs,
      analysis: emptyAnalysis('unknown', [problem(PROBLEM.unrecognizedDocument, 'not a playlist: no #EXT tag and no MPD root element')]),
    };
  }
  if (!sawHeader) problems.push(problem(PROBLEM.missingExtm3u, 'the playlist has no #EXTM3U header line'));

  if (variantCount > 0 && listed === 0) {
    if (renditions.length >= MAX_VARIANTS && variantCount > renditions.length) {
      problems.push(problem(PROBLEM.tooManyVariants, `${variantCount} variants listed: only the first ${MAX_VARIANTS} renditions are kept`));
    }
    return {
      notHls: false,
      probeStartMs,
      // Variants first (playlist order), then alternate audio.
      analysis: { ...emptyAnalysis('hls-multivariant', problems), renditions: [...renditions.filter((r) => r.type === 'video'), ...renditions.filter((r) => r.type !== 'video')] },
    };
  }

  const live = !ended && !vod;
  if (pendingExtinf) {
    problems.push(problem(PROBLEM.danglingExtinf, `the playlist ends with an EXTINF (${pendingDur} s) that has no URI: truncated response?`));
  }
  if (invalidPdts > 0) {
    problems.push(
      problem(PROBLEM.invalidProgramDateTime, `${invalidPdts} EXT-X-PROGRAM-DATE-TIME value(s) are not ISO 8601 date-times (first: "${firstInvalidPdt}"); ignored`),
    );
  }
  if (invalidExtinfs > 0) {
    problems.push(
      problem(PROBLEM.invalidExtinf, `${invalidExtinfs} EXTINF duration(s) are not a number of seconds from 0 to ${MAX_EXTINF_S} (first: "${firstInvalidExtinf}"); those segments have no wall clock until the next PDT`),
    );
  }
  if (targetDuration !== targetDuration) {
    problems.push(problem(PROBLEM.missingTargetDuration, 'the media playlist has no EXT-X-TARGETDURATION'));
  } else if (Math.round(maxDur) > targetDuration) {
    const n = Math.max(overTarget, 1);
    problems.push(
      problem(PROBLEM.segmentExceedsTargetDuration, `${n} segment(s) longer than the target duration ${targetDuration} s (longest ${maxDur} s)`),
    );
  }
  if (drifts > 0) {
    problems.push(
      problem(PROBLEM.pdtDrift, `${drifts} EXT-X-PROGRAM-DATE-TIME value(s) drift from the EXTINF sum by more than 1 s (worst ${(worstDriftMs / 1000).toFixed(3)} s)`),
    );
  }
  if (segments === 0) {
    problems.push(problem(PROBLEM.noSegments, parts > 0 ? `no complete segment yet (${parts} part(s) of the next one)` : 'the playlist lists no segment'));
  }
  if (listed > 0 && lastSegGap) problems.push(problem(PROBLEM.newestSegmentGap, 'the newest segment is an EXT-X-GAP: no media'));
  if (live && segments > 0 && !sawPdt) {
    problems.push(problem(PROBLEM.noProgramDateTime, 'no EXT-X-PROGRAM-DATE-TIME: the age can only be measured across fetches (ManifestTracker)'));
  }

  // The live edge: the newest part after the newest complete segment, anchored on a PDT announced for the
  // partial segment when there is one, else on the end of the newest complete segment.
  let edge = lastMediaEnd;
  if (partsMediaSum > 0) {
    const base = pendingPdt === pendingPdt ? pendingPdt : lastSegEnd;
    if (base === base) edge = base + partsMediaSum * 1000;
  }
  const hasClock = lastMediaEnd === lastMediaEnd || edge === edge;

  return {
    notHls: false,
    probeStartMs,
    analysis: {
      format: 'hls-media',
      live,
      newestMediaEnd: lastMediaEnd === lastMediaEnd ? isoMs(lastMediaEnd) : null,
      liveEdge: edge === edge ? isoMs(edge) : null,
      ageMs: hasClock && edge === edge ? Math.round(nowMs - edge) : null,
      mediaSequence,
      targetDuration: targetDuration === targetDuration ? targetDuration : null,
      segments,
      problems,
      renditions: [],
      lastMsn: segments > 0 ? mediaSequence + segments - 1 : null,
      partsAfterLast: parts,
      lastSegmentStart: listed > 0 && lastSegStart === lastSegStart ? isoMs(lastSegStart) : null,
      lastSegmentDuration: listed > 0 ? lastSegDur : null,
      listedDuration,
      ended,
    },
  };
}

export function emptyAnalysis(format: ManifestAnalysis['format'], problems: Problem[]): ManifestAnalysis {
  return {
    format,
    live: false,
    newestMediaEnd: null,
    liveEdge: null,
    ageMs: null,
    mediaSequence: null,
    targetDuration: null,
    segments: 0,
    problems,
    renditions: [],
  };
}

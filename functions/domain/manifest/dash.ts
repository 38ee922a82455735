// DASH MPDs (ISO/IEC 23009-1). MPDs are small (a few KB), so a real XML parse (fast-xml-parser) is fine here.
// Wall-clock end of a SegmentTimeline segment = AST + Period@start + (t + d - presentationTimeOffset) / timescale.
import { XMLParser } from 'fast-xml-parser';
import { emptyAnalysis } from './hls.js';
import { PROBLEM, problem } from './problems.js';
import { isoMs, readIsoDateTime } from './scan-primitives.js';
import type { ManifestAnalysis, Problem } from './types.js';

type Attrs = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name) => name === 'Period' || name === 'AdaptationSet' || name === 'Representation' || name === 'S',
});

/** |publishTime - newest media end| above max(this, 3 x target duration) is implausible. */
const PUBLISH_TIME_SLACK_MS = 30_000;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function num(v: unknown): number | undefined {
  const s = str(v);
  if (s === undefined || s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

function obj(v: unknown): Attrs | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Attrs) : undefined;
}

function list(v: unknown): Attrs[] {
  return Array.isArray(v) ? v.filter((x): x is Attrs => obj(x) !== undefined) : [];
}

const XS_DURATION =
  /^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** xs:duration in seconds (years = 365 days, months = 30 days: MPDs use hours/minutes/seconds in practice). */
export function parseXsDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = XS_DURATION.exec(text.trim());
  if (!m || text.trim() === 'P' || text.trim().endsWith('T')) return undefined;
  const n = (i: number) => (m[i] ? Number(m[i]) : 0);
  const s = n(2) * 365 * 86400 + n(3) * 30 * 86400 + n(4) * 7 * 86400 + n(5) * 86400 + n(6) * 3600 + n(7) * 60 + n(8);
  return m[1] ? -s : s;
}

function dateMs(v: unknown): number | undefined {
  const s = str(v)?.trim();
  if (!s) return undefined;
  const ms = readIsoDateTime(s, 0, s.length);
  if (ms === ms) return ms;
  const loose = Date.parse(s);
  return Number.isNaN(loose) ? undefined : loose;
}

/** SegmentTemplate attributes inherited Period -> AdaptationSet -> Representation (the most specific wins). */
function mergeTemplates(...levels: Array<Attrs | undefined>): Attrs | undefined {
  let merged: Attrs | undefined;
  for (const t of levels) if (t) merged = { ...(merged ?? {}), ...t };
  return merged;
}

interface TimelineEnd {
  /** Seconds since the Period start. */
  endS: number;
  segments: number;
  maxSegS: number;
}

/** Epoch ms a Date can hold (ECMA-262 §21.4.1.22, ±8.64e15): beyond it isoMs (and toISOString) throw a RangeError. */
const MAX_DATE_MS = 8.64e15;

/**
 * Expands a SegmentTimeline (t defaults to the running time, starting at 0; r=-1 repeats to the next S or Period end).
 * A timeline no player could follow (timescale not positive, a d of 0 to repeat, S@r not an integer) is
 * `{ invalid }`: why it is invalid. 'open': the last S repeats to a Period end that is not declared.
 */
function timelineEnd(template: Attrs, periodDurationS: number | undefined): TimelineEnd | 'open' | { invalid: string } | null {
  const timeline = obj(template.SegmentTimeline);
  if (!timeline) return null;
  const ss = list(timeline.S);
  if (ss.length === 0) return { endS: Number.NaN, segments: 0, maxSegS: 0 };
  const timescale = num(template.timescale) ?? 1;
  if (!(timescale > 0)) return { invalid: `SegmentTemplate@timescale="${str(template.timescale)}" is not a positive number` };
  const pto = num(template.presentationTimeOffset) ?? 0;
  let t = 0;
  let segments = 0;
  let maxD = 0;
  for (let i = 0; i < ss.length; i++) {
    const s = ss[i] as Attrs;
    const d = num(s.d) ?? 0;
    const st = num(s.t);
    if (st !== undefined) t = st;
    let r = num(s.r) ?? 0;
    if (!Number.isSafeInteger(r) || r < -1) return { invalid: `S@r="${str(s.r)}" is not an integer >= -1` };
    if (r < 0) {
      if (!(d > 0)) return { invalid: `S@d="${str(s.d)}" cannot be repeated (r="-1")` };
      const nextT = num(ss[i + 1]?.t);
      if (nextT !== undefined) r = Math.ceil((nextT - t) / d) - 1;
      else if (periodDurationS !== undefined) r = Math.ceil((periodDurationS * timescale + pto - t) / d) - 1;
      else return 'open';
    }
    if (d > maxD) maxD = d;
    t += d * (r + 1);
    segments += r + 1;
  }
  return { endS: (t - pto) / timescale, segments, maxSegS: maxD / timescale };
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function analyzeDash(text: string, nowMs: number): ManifestAnalysis {
  let root: Attrs;
  try {
    root = parser.parse(text, true) as Attrs;
  } catch (err) {
    return emptyAnalysis('unknown', [problem(PROBLEM.invalidXml, `not well-formed XML: ${(err as Error).message}`)]);
  }
  const mpd = obj(root.MPD);
  if (!mpd) {
    const tag = Object.keys(root).find((k) => !k.startsWith('?')) ?? 'none';
    return emptyAnalysis('unknown', [problem(PROBLEM.unrecognizedDocument, `XML whose root element is <${tag}>, not <MPD>`)]);
  }

  const problems: Problem[] = [];
  const live = (str(mpd.type) ?? 'static') === 'dynamic';
  const ast = dateMs(mpd.availabilityStartTime);
  const publish = dateMs(mpd.publishTime);
  const maxSegDur = parseXsDuration(str(mpd.maxSegmentDuration));

  // Period starts: @start, else the previous start + its @duration, the first Period at 0.
  const periods = list(mpd.Period);
  const starts: number[] = [];
  const durations: Array<number | undefined> = [];
  for (let i = 0; i < periods.length; i++) {
    const p = periods[i] as Attrs;
    const dur = parseXsDuration(str(p.duration));
    durations.push(dur);
    const explicit = parseXsDuration(str(p.start));
    const prevStart = starts[i - 1];
    const prevDur = durations[i - 1];
    starts.push(
      explicit ?? (i === 0 ? 0 : prevStart !== undefined && prevDur !== undefined ? prevStart + prevDur : Number.NaN),
    );
  }

  let newestEndS = Number.NaN; // seconds since AST
  let segments = 0;
  let longestSeg = 0;
  let clockDerived = false;
  let sawEmptyTimeline = false;
  let invalid: string | undefined;
  // Newest period first; an empty timeline (the Period has just begun) looks back to the one before.
  for (let i = periods.length - 1; i >= 0 && newestEndS !== newestEndS; i--) {
    const p = periods[i] as Attrs;
    const pStart = starts[i] ?? Number.NaN;
    let periodEnd = Number.NaN;
    let periodSegs = 0;
    for (const as of list(p.AdaptationSet)) {
      let setEnd = Number.NaN;
      let setSegs = 0;
      const reps = list(as.Representation);
      for (const rep of reps.length > 0 ? reps : [{}]) {
        const template = mergeTemplates(obj(p.SegmentTemplate), obj(as.SegmentTemplate), obj(rep.SegmentTemplate));
        if (!template) continue;
        const tl = timelineEnd(template, durations[i]);
        if (tl === 'open' || (tl === null && num(template.duration) !== undefined)) {
          const timescale = num(template.timescale) ?? 1;
          if (!(timescale > 0)) {
            invalid ??= `SegmentTemplate@timescale="${str(template.timescale)}" is not a positive number`;
            continue;
          }
          clockDerived = true;
          const d = num(template.duration);
          if (d !== undefined) longestSeg = Math.max(longestSeg, d / timescale);
          continue;
        }
        if (tl === null) continue;
        if ('invalid' in tl) {
          invalid ??= tl.invalid;
          continue;
        }
        if (tl.segments === 0) {
          sawEmptyTimeline = true;
          continue;
        }
        longestSeg = Math.max(longestSeg, tl.maxSegS);
        if (!(tl.endS <= setEnd)) {
          setEnd = tl.endS;
          setSegs = tl.segments;
        }
      }
      // The stream is only as new as its oldest adaptation set (video and audio both have to advance).
      if (setEnd === setEnd && !(setEnd >= periodEnd)) {
        periodEnd = setEnd;
        periodSegs = setSegs;
      }
    }
    if (periodEnd === periodEnd) {
      newestEndS = pStart + periodEnd;
      segments = periodSegs;
    }
  }

  const targetDuration = maxSegDur ?? (longestSeg > 0 ? longestSeg : null);
  let newestMediaEnd: number | null = null;
  let liveEdge: number | null = null;
  if (newestEndS === newestEndS && ast !== undefined && !(Math.abs(ast + newestEndS * 1000) < MAX_DATE_MS)) {
    invalid ??= `the newest segment would end ${newestEndS} s after availabilityStartTime: beyond any date`;
    newestEndS = Number.NaN;
  }
  if (invalid !== undefined) {
    problems.push(problem(PROBLEM.invalidTimeline, `SegmentTimeline: ${invalid}; the age cannot be read from this MPD`));
  } else if (newestEndS === newestEndS) {
    if (ast === undefined) {
      if (live) problems.push(problem(PROBLEM.missingAvailabilityStartTime, 'type="dynamic" without availabilityStartTime: the wall clock of the media cannot be computed'));
    } else {
      newestMediaEnd = ast + newestEndS * 1000;
      liveEdge = newestMediaEnd;
    }
  } else if (clockDerived) {
    problems.push(
      problem(
        PROBLEM.clockDerivedTimeline,
        publish !== undefined
          ? 'segments are addressed by $Number$ + @duration (the timeline follows the clock): the age is measured from publishTime and MPD changes'
          : 'segments are addressed by $Number$ + @duration and there is no publishTime: only MPD changes across fetches (ManifestTracker) show staleness',
      ),
    );
    if (publish !== undefined) liveEdge = publish;
    if (live && ast === undefined) problems.push(problem(PROBLEM.missingAvailabilityStartTime, 'type="dynamic" without availabilityStartTime'));
  } else if (live) {
    if (ast === undefined) problems.push(problem(PROBLEM.missingAvailabilityStartTime, 'type="dynamic" without availabilityStartTime'));
    problems.push(problem(sawEmptyTimeline ? PROBLEM.emptyTimeline : PROBLEM.noSegments, 'no segment in any Period'));
  }

  if (newestMediaEnd !== null && publish !== undefined) {
    const gap = publish - newestMediaEnd;
    const slack = Math.max(PUBLISH_TIME_SLACK_MS, 3 * (targetDuration ?? 0) * 1000);
    if (Math.abs(gap) > slack) {
      problems.push(
        problem(
          PROBLEM.publishTimeMismatch,
          `the newest media ends ${(Math.abs(gap) / 1000).toFixed(3)} s ${gap > 0 ? 'before' : 'after'} publishTime: implausible timing (AST, Period@start or presentationTimeOffset)`,
        ),
      );
    }
  }

  return {
    format: 'dash',
    live,
    newestMediaEnd: newestMediaEnd === null ? null : isoMs(newestMediaEnd),
    liveEdge: liveEdge === null ? null : isoMs(liveEdge),
    ageMs: liveEdge === null ? null : Math.round(nowMs - liveEdge),
    mediaSequence: null,
    targetDuration,
    segments,
    problems,
    renditions: [],
    ended: !live,
    publishTime: publish === undefined ? null : isoMs(publish),
    documentHash: fnv1a(text),
  };
}

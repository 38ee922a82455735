// analyzeManifest: one document in, its age and contract problems out. Picks the reader by the first
// meaningful character (after a BOM): '<' is XML (DASH), anything else is read as HLS.
import { headerValue } from './cache-control.js';
import { analyzeDash } from './dash.js';
import { emptyAnalysis, scanHls } from './hls.js';
import { PROBLEM, problem } from './problems.js';
import type { AnalyzeOptions, ManifestAnalysis } from './types.js';

function firstContentIndex(text: string): number {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length && text.charCodeAt(i) <= 32) i++;
  return i;
}

/** Beyond max(this, 2 target durations), the header and the media timeline tell different stories. */
const LAST_UPDATED_SLACK_MS = 4000;

/**
 * MediaPackage's X-MediaPackage-Manifest-Last-Updated against the media's own wall clock: a manifest rewritten
 * recently whose newest media is old means the packager is republishing without new media (or clocks disagree).
 */
function secondOpinion(a: ManifestAnalysis, nowMs: number): void {
  if (a.lastUpdatedMs == null || a.ageMs === null) return;
  const updatedAgo = nowMs - a.lastUpdatedMs;
  const slack = Math.max(LAST_UPDATED_SLACK_MS, 2 * (a.targetDuration ?? 0) * 1000);
  if (Math.abs(a.ageMs - updatedAgo) > slack) {
    a.problems.push(
      problem(
        PROBLEM.lastUpdatedDisagrees,
        `X-MediaPackage-Manifest-Last-Updated says ${(updatedAgo / 1000).toFixed(1)} s ago, the newest media says ${(a.ageMs / 1000).toFixed(1)} s ago`,
      ),
    );
  }
}

/** Without a target duration, the clock skew tolerated before the media counts as ahead of now (seconds). */
const FUTURE_SLACK_WITHOUT_TARGET_S = 6;

/**
 * The media ends more than one target duration after now: the packager's clock (or its PDT) runs ahead, and
 * an age read from it would call a frozen stream fresh for as long as the lead lasts. Such a document gives no
 * age: the caller falls back to what it tracks across fetches (ManifestTracker: time since the playlist moved).
 */
export function mediaAheadOfNow(ageMs: number | null, targetDuration: number | null): boolean {
  return ageMs !== null && -ageMs > (targetDuration ?? FUTURE_SLACK_WITHOUT_TARGET_S) * 1000;
}

export function dropFutureAge(a: ManifestAnalysis): void {
  if (!mediaAheadOfNow(a.ageMs, a.targetDuration)) return;
  a.problems.push(
    problem(
      PROBLEM.futureMediaTime,
      `the newest media ends ${(-(a.ageMs as number) / 1000).toFixed(1)} s in the future (more than one target duration): the document's clock cannot give an age`,
    ),
  );
  a.ageMs = null;
}

/** Never throws: a document no rule covers is an `analysis-failed` problem (the probe must keep probing). */
export function analyzeManifest(text: string, opts: AnalyzeOptions = {}): ManifestAnalysis {
  try {
    return analyze(text, opts);
  } catch (err) {
    return emptyAnalysis('unknown', [problem(PROBLEM.analysisFailed, `the document could not be analysed: ${(err as Error).message}`)]);
  }
}

function analyze(text: string, opts: AnalyzeOptions): ManifestAnalysis {
  const nowMs = opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  const start = firstContentIndex(text);
  let analysis: ManifestAnalysis;
  if (start >= text.length) {
    analysis = emptyAnalysis('unknown', [problem(PROBLEM.emptyDocument, 'the document is empty')]);
  } else if (text.charCodeAt(start) === 60 /* < */) {
    analysis = analyzeDash(text.slice(start), nowMs);
  } else {
    analysis = scanHls(text, text.charCodeAt(0) === 0xfeff ? 1 : 0, nowMs, opts.url).analysis;
  }
  dropFutureAge(analysis);
  if (opts.headers) applyHeaders(analysis, opts.headers, nowMs);
  return analysis;
}

/** X-MediaPackage-Manifest-Last-Updated onto an analysis, with its disagreement check. */
export function applyHeaders(analysis: ManifestAnalysis, headers: NonNullable<AnalyzeOptions['headers']>, nowMs: number): void {
  const lu = headerValue(headers, 'x-mediapackage-manifest-last-updated');
  const n = lu === undefined ? Number.NaN : Number(lu);
  analysis.lastUpdatedMs = Number.isFinite(n) ? n : null;
  secondOpinion(analysis, nowMs);
}

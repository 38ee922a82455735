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

export function analyzeManifest(text: string, opts: AnalyzeOptions = {}): ManifestAnalysis {
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
  if (opts.headers) {
    const lu = headerValue(opts.headers, 'x-mediapackage-manifest-last-updated');
    const n = lu === undefined ? Number.NaN : Number(lu);
    analysis.lastUpdatedMs = Number.isFinite(n) ? n : null;
    secondOpinion(analysis, nowMs);
  }
  return analysis;
}

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
  }
  return analysis;
}

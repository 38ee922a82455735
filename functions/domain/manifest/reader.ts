// What the probe runs on every fetch of a rendition. The age is needed on every fetch; the stream-contract
// checks (one full pass over every line) are not: they describe the playlist, which a live packager rewrites
// the same way every segment. So, per rendition:
//   - the same body as last time: the previous analysis, its age moved on to now (no parse at all);
//   - a new body: the tail-first age (manifestAge's reading: the newest PDT and the segments after it), with
//     the problems of the last full analysis carried over;
//   - a full analysis (analyzeManifest) for the first body, for any document the tail-first reading cannot
//     take (multivariant, DASH, unusual HLS), and for a changed body once `contractCheckMs` has passed since
//     the last full analysis.
// The age fields agree with analyzeManifest's (quick-age.test.ts proves it on every fixture).
import { analyzeManifest, applyHeaders, dropFutureAge } from './analyze.js';
import { tailAge } from './quick-age.js';
import { PROBLEM } from './problems.js';
import type { AnalyzeOptions, ManifestAnalysis, Problem } from './types.js';

/** How often (at most) a changing playlist gets the full stream-contract pass. */
export const DEFAULT_CONTRACT_CHECK_MS = 30_000;

export interface ReadResult {
  analysis: ManifestAnalysis;
  /** How the body was read: 'same' (unchanged body), 'tail' (age-only), 'full' (analyzeManifest). */
  path: 'same' | 'tail' | 'full';
}

/** Problems about the moment of the fetch (not the playlist's shape): re-judged on every read, never carried over. */
const PER_FETCH = new Set<string>([PROBLEM.futureMediaTime, PROBLEM.lastUpdatedDisagrees]);

function perDocument(problems: Problem[]): Problem[] {
  return problems.length === 0 ? problems : problems.filter((p) => !PER_FETCH.has(p.code));
}

export class ManifestReader {
  #text: string | null = null;
  #analysis: ManifestAnalysis | null = null;
  #lastFullAt = Number.NEGATIVE_INFINITY;

  constructor(readonly contractCheckMs = DEFAULT_CONTRACT_CHECK_MS) {}

  read(text: string, opts: AnalyzeOptions & { now: number }): ReadResult {
    const prev = this.#analysis;
    const nowMs = opts.now;
    if (prev && text === this.#text) {
      const analysis = { ...prev, problems: perDocument(prev.problems) };
      analysis.ageMs = analysis.liveEdge === null ? null : Math.round(nowMs - Date.parse(analysis.liveEdge));
      this.#finish(analysis, opts);
      return { analysis, path: 'same' };
    }
    if (prev?.format === 'hls-media' && nowMs - this.#lastFullAt < this.contractCheckMs) {
      const tail = tailAge(text, nowMs, true);
      if (tail) {
        const analysis: ManifestAnalysis = {
          ...prev,
          ...tail,
          // tailAge withholds an age from a clock ahead of now; recompute it then, so that the problem is reported.
          ageMs: tail.ageMs !== null || tail.liveEdge === null ? tail.ageMs : Math.round(nowMs - Date.parse(tail.liveEdge)),
          problems: perDocument(prev.problems),
          ended: tail.live ? false : (prev.ended ?? true),
        };
        this.#finish(analysis, opts);
        this.#text = text;
        this.#analysis = analysis;
        return { analysis, path: 'tail' };
      }
    }
    const analysis = analyzeManifest(text, opts);
    this.#text = text;
    this.#analysis = analysis;
    this.#lastFullAt = nowMs;
    return { analysis, path: 'full' };
  }

  #finish(analysis: ManifestAnalysis, opts: AnalyzeOptions & { now: number }): void {
    dropFutureAge(analysis);
    if (opts.headers) applyHeaders(analysis, opts.headers, opts.now);
  }
}

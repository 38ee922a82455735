// The manifest-age engine: the public API (also exported by the package as `flatline/manifest`).
// Domain code: no Lambda, no CLI. See types.ts for the shapes and problems.ts for the stable problem codes.
export type { AnalyzeOptions, FreshnessOptions, FreshnessVerdict, ManifestAnalysis, ManifestFormat, Problem, Rendition } from './types.js';
export { PROBLEM, type ProblemCode } from './problems.js';
export { analyzeManifest, mediaAheadOfNow } from './analyze.js';
export { MAX_EXTINF_S, MAX_VARIANTS } from './hls.js';
export { ManifestTracker, type TrackerObservation } from './tracker.js';
export { cacheTtlMs, checkCacheControl, MANIFEST_MAX_AGE_S } from './cache-control.js';
export { checkLadderAlignment, DEFAULT_LADDER_TOLERANCE_MS } from './ladder.js';
export { checkManifestFreshness, fetchManifest, DEFAULT_FETCH_TIMEOUT_MS, type FetchedManifest } from './fetch-check.js';
export { manifestAge, type ManifestAge } from './quick-age.js';
export { DEFAULT_CONTRACT_CHECK_MS, ManifestReader, type ReadResult } from './reader.js';

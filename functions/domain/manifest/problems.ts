// Stable problem codes. Consumers (probe metrics, triage evidence, the CLI) key on these strings.
import type { Problem } from './types.js';

export const PROBLEM = {
  // document
  unrecognizedDocument: 'unrecognized-document',
  emptyDocument: 'empty-document',
  missingExtm3u: 'missing-extm3u',
  danglingExtinf: 'dangling-extinf',
  invalidProgramDateTime: 'invalid-program-date-time',
  noProgramDateTime: 'no-program-date-time',
  noSegments: 'no-segments',
  invalidXml: 'invalid-xml',
  /** The reader itself failed on the document (a bug or a case no rule covers): never a throw to the caller. */
  analysisFailed: 'analysis-failed',
  /** More variants than a ladder ever has: only the first ones are kept (the probe fetches each). */
  tooManyVariants: 'too-many-variants',
  /** The newest media is more than a target duration ahead of now: that clock cannot give an age. */
  futureMediaTime: 'future-media-time',
  // HLS stream contract
  segmentExceedsTargetDuration: 'segment-exceeds-target-duration',
  pdtDrift: 'pdt-drift',
  newestSegmentGap: 'newest-segment-gap',
  missingTargetDuration: 'missing-target-duration',
  invalidExtinf: 'invalid-extinf',
  // across fetches (ManifestTracker)
  mediaSequenceRegressed: 'media-sequence-regressed',
  endlistOnLive: 'endlist-on-live',
  // ladder
  ladderMisaligned: 'ladder-misaligned',
  // HTTP caching
  manifestNoStore: 'manifest-no-store',
  manifestNoCache: 'manifest-no-cache',
  manifestMaxAgeTooLong: 'manifest-max-age-too-long',
  manifestCacheControlMissing: 'manifest-cache-control-missing',
  segmentNotCacheable: 'segment-not-cacheable',
  segmentMaxAgeTooShort: 'segment-max-age-too-short',
  // fetching
  httpError: 'http-error',
  /** HTTP 401 or 403: the origin refuses the probe's request, which says nothing of what it serves the CDN. */
  accessDenied: 'access-denied',
  timeout: 'timeout',
  fetchFailed: 'fetch-failed',
  // DASH
  missingAvailabilityStartTime: 'missing-availability-start-time',
  clockDerivedTimeline: 'clock-derived-timeline',
  publishTimeMismatch: 'publish-time-mismatch',
  emptyTimeline: 'empty-timeline',
  /** timescale not positive, a d of 0 to repeat, an S@r that is not an integer, or a wall clock out of range. */
  invalidTimeline: 'invalid-timeline',
  // MediaPackage header vs the media timeline
  lastUpdatedDisagrees: 'last-updated-disagrees',
} as const;

export type ProblemCode = (typeof PROBLEM)[keyof typeof PROBLEM];

export function problem(code: ProblemCode, message: string): Problem {
  return { code, message };
}

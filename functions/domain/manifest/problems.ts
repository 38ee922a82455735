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
  // HLS stream contract
  segmentExceedsTargetDuration: 'segment-exceeds-target-duration',
  pdtDrift: 'pdt-drift',
  newestSegmentGap: 'newest-segment-gap',
  missingTargetDuration: 'missing-target-duration',
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
  timeout: 'timeout',
  fetchFailed: 'fetch-failed',
  // DASH
  missingAvailabilityStartTime: 'missing-availability-start-time',
  clockDerivedTimeline: 'clock-derived-timeline',
  publishTimeMismatch: 'publish-time-mismatch',
  emptyTimeline: 'empty-timeline',
  // MediaPackage header vs the media timeline
  lastUpdatedDisagrees: 'last-updated-disagrees',
} as const;

export type ProblemCode = (typeof PROBLEM)[keyof typeof PROBLEM];

export function problem(code: ProblemCode, message: string): Problem {
  return { code, message };
}

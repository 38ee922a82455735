// The public shapes of the manifest-age engine. Other parts (probe, triage, the failover steps, the sandbox)
// depend on these: add fields, never remove or rename them.

export type ManifestFormat = 'hls-media' | 'hls-multivariant' | 'dash' | 'unknown';

/** A stream-contract violation or a reason the age could not be read. `code` is stable kebab-case (see problems.ts). */
export interface Problem {
  code: string;
  message: string;
}

/** One rendition of a multivariant playlist. */
export interface Rendition {
  uri: string;
  /** `uri` resolved against the playlist's URL, when that URL is known. */
  url?: string;
  /** e.g. '1280x720@3000k'; the uri when the variant has no RESOLUTION (audio-only, alternate audio). */
  name: string;
  bandwidth?: number;
  resolution?: string;
  /** 'video' for EXT-X-STREAM-INF variants, 'audio' for EXT-X-MEDIA TYPE=AUDIO renditions with their own URI. */
  type?: 'video' | 'audio';
}

export interface ManifestAnalysis {
  format: ManifestFormat;
  /** False for VOD, EVENT+ENDLIST, any ENDLIST, DASH type=static; true otherwise for media documents. */
  live: boolean;
  /** ISO 8601 with ms: wall-clock end of the newest complete (non-gap) segment. */
  newestMediaEnd: string | null;
  /** Includes LL-HLS parts after the newest complete segment (never a PRELOAD-HINT). */
  liveEdge: string | null;
  /** now - liveEdge; null when the document carries no wall clock. */
  ageMs: number | null;
  mediaSequence: number | null;
  /** Seconds (HLS EXT-X-TARGETDURATION; DASH maxSegmentDuration or the longest segment). */
  targetDuration: number | null;
  /** Complete segments, including segments skipped by an EXT-X-SKIP delta update. */
  segments: number;
  problems: Problem[];
  /** For multivariant playlists (resolved against opts.url when given); [] otherwise. */
  renditions: Rendition[];
  /** X-MediaPackage-Manifest-Last-Updated (epoch ms), a second opinion, when the header is present. */
  lastUpdatedMs?: number | null;
  /** HLS: media sequence number of the newest complete segment (mediaSequence + segments - 1); null otherwise. */
  lastMsn?: number | null;
  /** HLS: EXT-X-PART count after the newest complete segment (LL-HLS progress inside a segment). */
  partsAfterLast?: number;
  /** HLS: start (ISO) and duration (s) of the newest complete segment, for the ladder-alignment check. */
  lastSegmentStart?: string | null;
  lastSegmentDuration?: number | null;
  /** HLS: sum of the EXTINF durations of the listed (not skipped) segments, seconds. */
  listedDuration?: number;
  /** The playlist carried EXT-X-ENDLIST (HLS) / the MPD is static (DASH). */
  ended?: boolean;
  /** DASH publishTime (ISO), when present. */
  publishTime?: string | null;
  /** Cheap 32-bit hash of the document: lets the tracker see an MPD (or playlist) change without a timeline. */
  documentHash?: number;
}

export interface AnalyzeOptions {
  now?: Date | number;
  /** The URL the document came from: renditions are resolved against it. */
  url?: string;
  /** Response headers (X-MediaPackage-Manifest-Last-Updated is read from here). */
  headers?: Record<string, string | string[] | undefined>;
}

export interface FreshnessVerdict {
  url: string;
  fresh: boolean;
  /** The age of the stream = the age of its OLDEST rendition (null when no rendition carries a wall clock). */
  ageMs: number | null;
  thresholdMs: number | null;
  /** Epoch ms: the end of the oldest rendition's newest media (null when no rendition carries a wall clock). */
  mediaEndMs: number | null;
  /**
   * Set only when the stream is young but has no media since `producedSince`: epoch ms by which it must show some,
   * else it is stale (its newest media end + the threshold).
   */
  newMediaDueAt?: number;
  targetDuration: number | null;
  renditions: Array<{ name: string; url: string; ageMs: number | null; status: number | null; problems: Problem[] }>;
  /** One line a human can act on, e.g. "rendition 1280x720@3000k is 9.2 s old (threshold 6 s)". */
  reason: string;
  /** Every problem seen (manifest-level and per rendition), deduplicated by code. */
  problems?: Problem[];
}

export interface FreshnessOptions {
  staleAfterTargetDurations: number;
  now?: () => number;
  /** Per request (default 3000 ms). */
  timeoutMs?: number;
  /**
   * Epoch ms: fresh only if every rendition has media ending after it. A young manifest is no proof that a side
   * that has just died still lives (its last segment stays young for up to staleAfter); new media is.
   */
  producedSince?: number;
}

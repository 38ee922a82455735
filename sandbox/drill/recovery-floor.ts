// The floor under a world model: the earliest the last viewer can be back on fresh manifests after the
// primary's newest media end, with triage, the execution and the KVS write taking no time at all. What a
// drill measures above it is what flatline itself costs (detection schedule, confirmation, the execution);
// the floor is what the world charges whatever flatline does.
import type { WorldNumbers } from '../world-model.js';

export interface RecoveryFloorOptions {
  /** The channel's policy.staleAfterTargetDurations. */
  staleAfterTargetDurations: number;
  /** Cache-Control max-age of the origin's playlists, seconds (sandbox/media/origin.ts). */
  manifestMaxAgeS: number;
}

/** Seconds from the primary's newest media end, term by term. */
export interface RecoveryFloorTerms {
  /** The newest media end until the manifest is stale: staleAfter x TD. */
  detectS: number;
  /** The KVS write until the last edge location sees it: p50 / p95 of the max over the locations' draws. */
  propagateP50S: number;
  propagateP95S: number;
  /** An edge location may serve the playlist it cached from the frozen primary for its max-age. */
  cacheS: number;
  /** The last viewer's next playlist reload: one target duration. */
  reloadS: number;
}

export interface RecoveryFloor {
  terms: RecoveryFloorTerms;
  /** The floor with the median / 95th percentile draw of KVS propagation, seconds and target durations. */
  p50S: number;
  p95S: number;
  p50TD: number;
  p95TD: number;
}

/**
 * The p-quantile (0 < p <= 1) of the maximum of n independent uniform draws in [a, b]: P(max <= x) =
 * ((x - a) / (b - a))^n, hence x = a + (b - a) p^(1/n).
 */
export function quantileOfMaxUniform([a, b]: readonly [number, number], n: number, p: number): number {
  return a + (b - a) * p ** (1 / n);
}

/**
 * The floor of the last viewer back, from the primary's newest media end, under `world` for a stream of
 * target duration `td` seconds. Each term and what it rests on:
 * - detection, staleAfter x TD: the manifest's age is now minus its newest media end, so nothing can call the
 *   primary stale earlier. (MediaLive alerts on both pipelines would also do, after confirmation, but each
 *   comes 2-30 s late in the realistic model: both within the first staleAfter in well under 1 % of runs.)
 * - propagation, the p-quantile of the max over edgeLocations of kvsPropagationS: each location draws its own
 *   delay (sandbox/media/edge-locations.ts), and the last viewer is at the last location.
 * - cache, the playlist max-age: the edge's cache key is the URI, not the origin (sandbox/media/edge.ts), so a
 *   location that just cached the frozen playlist serves it until it expires; with every rendition cached at
 *   every location, one of them is close to its full max-age.
 * - reload, one TD: a player reloads the playlist once per target duration (RFC 8216 section 6.3.4,
 *   https://www.rfc-editor.org/rfc/rfc8216#section-6.3.4). The sandbox's viewers are spread over 10 slots of a
 *   target duration (sandbox/media/viewers.ts), so the last of them reloads between 0.9 and 1 TD after the
 *   edge serves the standby's playlist.
 * A resumed viewer plays at once: by then the standby's playlist holds more than the one TD a stalled
 * viewer needs to resume (viewers.ts).
 */
export function recoveryFloor(world: Pick<WorldNumbers, 'kvsPropagationS' | 'edgeLocations'>, td: number, o: RecoveryFloorOptions): RecoveryFloor {
  const terms: RecoveryFloorTerms = {
    detectS: o.staleAfterTargetDurations * td,
    propagateP50S: quantileOfMaxUniform(world.kvsPropagationS, world.edgeLocations, 0.5),
    propagateP95S: quantileOfMaxUniform(world.kvsPropagationS, world.edgeLocations, 0.95),
    cacheS: o.manifestMaxAgeS,
    reloadS: td,
  };
  const rest = terms.detectS + terms.cacheS + terms.reloadS;
  const p50S = rest + terms.propagateP50S;
  const p95S = rest + terms.propagateP95S;
  return { terms, p50S, p95S, p50TD: p50S / td, p95TD: p95S / td };
}

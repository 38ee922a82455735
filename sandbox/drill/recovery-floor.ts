// The floor under a world model: the earliest the last viewer can be back on fresh manifests after the
// primary's newest media end, with triage, the execution and the KVS write taking no time at all. What a
// drill measures above it is what flatline itself costs (detection schedule, confirmation, the execution)
// plus the luck of the edge cache; the floor is what the world charges whatever flatline does.
import type { WorldNumbers } from '../world-model.js';

export interface RecoveryFloorOptions {
  /** The channel's policy.staleAfterTargetDurations. */
  staleAfterTargetDurations: number;
  /** Cache-Control max-age of the origin's playlists, seconds (sandbox/media/origin.ts). */
  manifestMaxAgeS: number;
  /** The viewers' reload slots per target duration (sandbox/media/viewers.ts). */
  reloadSlots: number;
  /** How far behind the live edge a viewer plays, in target durations (sandbox/media/viewers.ts). */
  bufferTargetDurations: number;
  /**
   * When the pipelines failed, seconds after the primary's newest media end (0 if not given): a fault comes
   * during the next segment, up to a TD after that end, and MediaLive alerts on it no earlier.
   */
  faultAfterMediaEndS?: number;
}

/** Seconds, term by term. */
export interface RecoveryFloorTerms {
  /** The newest media end until the manifest is stale: staleAfter x TD. */
  staleS: number;
  /** The probe's Manifest Stale on the bus to triage, at the least (the alerts' own delivery is in earliestAlertsS). */
  busS: number;
  /** The earliest both pipelines' MediaLive alerts can reach triage after the newest media end (the fault, then their fastest draws and delivery). */
  earliestAlertsS: number;
  /** The chance that both alerts reach triage before the manifest is stale (each may be dropped). */
  alertsFirstProbability: number;
  /** Detection in the p50 / p95 floor: staleS + busS, or earliestAlertsS where the alerts come first that often. */
  detectP50S: number;
  detectP95S: number;
  /** The KVS write until the last edge location sees it, in the p50 / p95 floor. */
  propagateP50S: number;
  propagateP95S: number;
  /** The edge location's fresh playlist until the last viewer reloads it, at the least: half a TD less one slot. */
  reloadS: number;
  /**
   * The standby's first media newer than the frozen end is complete one TD after that end (epoch-aligned
   * outputs): until then a location on the standby serves no newer media. Binds where detection and
   * propagation take less (the ideal world).
   */
  nextSegmentS: number;
  /**
   * Not in the floor: how old a cached playlist may be when a viewer loads it (max-age). The route is in the cache
   * key, so after the flip it no longer holds viewers on the frozen playlist (nor does the stall floor: its viewer loaded a fresh one).
   */
  cacheUpToS: number;
  /** The viewers' live-edge buffer: how long a viewer plays on after the newest media it has, at the least. */
  bufferS: number;
  /** The longest stall a viewer must see when the last viewer is back exactly at the p50 / p95 floor (whole half TDs). */
  stallP50S: number;
  stallP95S: number;
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
 * The longest stall a viewer back at `backS` (from the primary's newest media end) has seen, at the least. The
 * viewer that runs dry first plays `bufferS` behind the newest media end of the first playlist it loaded, and
 * with viewers spread over the reload slots one loaded it as its newest segment appeared: its buffer runs dry
 * bufferS after the freeze. Its reloads come once per TD from that first load while the playlist changes, then
 * every `retryS` (half a TD) once it finds it unchanged, and the media it had then ended a whole number of TDs
 * before the frozen end: it runs dry bufferS after one of its reloads and resumes on a later one, so a stall
 * lasts n x retryS - (bufferS mod retryS) for a whole n (with the 3 TD buffer, whole half TDs). Here it is more
 * than backS - bufferS: the smallest such length above it.
 */
function stallFloorS(backS: number, retryS: number, bufferS: number): number {
  const over = backS - bufferS;
  if (over < 0) return 0;
  const offGrid = bufferS % retryS;
  return (Math.floor((over + offGrid) / retryS) + 1) * retryS - offGrid;
}

/** P(both pipelines' alerts reach triage within `s` seconds of the fault): each delivered, after its own draw and the bus. */
function bothAlertsWithin(world: Pick<WorldNumbers, 'mediaLiveEvents' | 'eventBridgeDelayS'>, s: number): number {
  const [a, b] = world.mediaLiveEvents.delayS;
  const t = s - world.eventBridgeDelayS[0];
  const one = t < a ? 0 : b === a ? 1 : Math.min(1, (t - a) / (b - a));
  return (one * (1 - world.mediaLiveEvents.dropProbability)) ** 2;
}

/**
 * The floor of the last viewer back, from the primary's newest media end, under `world` for a stream of
 * target duration `td` seconds. Each term and what it rests on:
 * - detection: the manifest's age is now minus its newest media end, so the probe cannot call the primary
 *   stale before staleAfter x TD, and its Manifest Stale reaches triage over the bus (eventBridgeDelayS). Alerts on both MediaLive pipelines are the other way to a failover (triage
 *   confirms them with DescribeChannel: no pipeline running); they come no earlier than the fault, itself no
 *   earlier than the newest media end (faultAfterMediaEndS: the drill gives when its pipelines failed). Where they beat staleness with probability pA (realistic: 2-30 s late,
 *   both under 3 s in 0.07 % of runs), the p-quantile of the floor is at least the (p - pA)-quantile of the
 *   floor with detection at staleAfter (union bound); where they beat it more often than that (ideal: at once),
 *   detection is taken at its earliest.
 * - propagation, the quantile of the max over edgeLocations of kvsPropagationS: each location draws its own
 *   delay (sandbox/media/edge-locations.ts), and the viewers are spread over every location.
 * - reload: a player that finds the playlist unchanged reloads it half a target duration later (RFC 8216
 *   section 6.3.4, https://www.rfc-editor.org/rfc/rfc8216#section-6.3.4; hls.js does so), as every viewer does
 *   while the primary is frozen. The sandbox's viewers reload in `reloadSlots` slots per target duration, half a
 *   TD being ceil(slots / 2) slots, every slot at every location (sandbox/media/viewers.ts): the slot that fired
 *   just before a location served the standby's playlist fires again half a TD later, one slot less after.
 * - the standby's next segment: viewers need media newer than the frozen end, and the standby's (epoch-aligned
 *   with the primary's) is complete one TD after that end: the flip reaches them no earlier than that.
 * - cache, not added: the route the function took is in the edge's cache key (x-flatline-route, listed by the
 *   /live/* behaviour's cache policy: edge/cache-policy.ts, sandbox/media/edge.ts), so once a location sees the
 *   KVS write its next playlist request misses and gets the standby's: its cache no longer holds viewers on the
 *   frozen playlist after the flip. A playlist a viewer loaded before the freeze may have been up to max-age
 *   old, which only delays when that viewer runs dry. A resumed viewer plays at once: the standby's playlist by then
 *   holds more than the one TD a stalled viewer needs to resume (viewers.ts).
 * - the stall under the floor (stallP50S / stallP95S, not added): with the last viewer back exactly at the
 *   floor, what the viewer that ran dry first must have stalled (stallFloorS).
 */
export function recoveryFloor(
  world: Pick<WorldNumbers, 'kvsPropagationS' | 'edgeLocations' | 'mediaLiveEvents' | 'eventBridgeDelayS'>,
  td: number,
  o: RecoveryFloorOptions,
): RecoveryFloor {
  const staleS = o.staleAfterTargetDurations * td;
  const busS = world.eventBridgeDelayS[0];
  const faultS = o.faultAfterMediaEndS ?? 0;
  const earliestAlertsS = faultS + world.mediaLiveEvents.delayS[0] + busS;
  const alertsFirst = bothAlertsWithin(world, staleS + busS - faultS);
  const at = (p: number): { detect: number; propagate: number } =>
    p - alertsFirst > 0
      ? { detect: staleS + busS, propagate: quantileOfMaxUniform(world.kvsPropagationS, world.edgeLocations, p - alertsFirst) }
      : { detect: Math.min(staleS + busS, earliestAlertsS), propagate: quantileOfMaxUniform(world.kvsPropagationS, world.edgeLocations, p) };
  const [p50, p95] = [at(0.5), at(0.95)];
  const retryS = (Math.ceil(o.reloadSlots / 2) / o.reloadSlots) * td;
  const reloadS = retryS - td / o.reloadSlots;
  const bufferS = o.bufferTargetDurations * td;
  const p50S = Math.max(p50.detect + p50.propagate, td) + reloadS;
  const p95S = Math.max(p95.detect + p95.propagate, td) + reloadS;
  const terms: RecoveryFloorTerms = {
    staleS,
    busS,
    earliestAlertsS,
    alertsFirstProbability: alertsFirst,
    detectP50S: p50.detect,
    detectP95S: p95.detect,
    propagateP50S: p50.propagate,
    propagateP95S: p95.propagate,
    reloadS,
    nextSegmentS: td,
    cacheUpToS: o.manifestMaxAgeS,
    bufferS,
    stallP50S: stallFloorS(p50S, retryS, bufferS),
    stallP95S: stallFloorS(p95S, retryS, bufferS),
  };
  return { terms, p50S, p95S, p50TD: p50S / td, p95TD: p95S / td };
}

/** The stall under the floor, in words, as the drill report and the bench print it. */
export function stallUnderFloorText(t: Pick<RecoveryFloorTerms, 'stallP50S' | 'stallP95S' | 'bufferS'>, td: number): string {
  const buffer = `${+(t.bufferS / td).toFixed(2)} TD buffer`;
  if (t.stallP95S === 0) return `no viewer need have stalled with the last one back at the floor (its ${buffer} lasts)`;
  return `with the last viewer back at the floor, the first to run dry has stalled at least ${(t.stallP50S / td).toFixed(1)} / ${(t.stallP95S / td).toFixed(1)} TD (after its ${buffer} ran dry)`;
}

/** Where the standby's next segment, not detection and propagation, sets the floor: says so (empty otherwise). */
export function nextSegmentText(f: Pick<RecoveryFloor, 'terms' | 'p50S'>, td: number): string {
  const t = f.terms;
  return t.detectP50S + t.propagateP50S < t.nextSegmentS ? ` (no viewer before the standby's next segment, ${+(t.nextSegmentS / td).toFixed(2)} TD after the frozen end)` : '';
}

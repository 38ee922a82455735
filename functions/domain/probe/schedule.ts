// The deadline schedule of a path's renditions: when each is fetched next, and in which lane of the fetcher it
// waits for a slot. A rendition's deadline is when it would first count as stale if no new segment appeared
// (newest media end + staleAfter x target duration). Between two deadlines the path gets one learning fetch, of
// its scout (the first rendition of the ladder fresh by its own wall clock): after the next segment should have
// appeared (newest media end + one target duration), plus an offset of the path's own (learningOffsetMs). The
// scout's look stands for its siblings (a ladder is packaged together): when it sees the new segment, or finds
// nothing fresh, its siblings are fetched at once (PathProbe does that); a rendition that sees its new segment
// moves its deadline on. A scout that saw nothing new (a late segment) looks again at its deadline, alone: its
// siblings wait for its answer, so a late segment, late by the same amount on every channel of a fleet, puts one
// fetch per path in the deadline lane rather than a whole ladder per path. Only a rendition that is late or
// frozen on its own (its scout saw a newer segment, it did not) is fetched at its own deadline. Segments start on
// the same instants on every channel (epoch-aligned), so without the offset a whole fleet would fall due in the
// same few milliseconds. A fetch at (or past) the deadline goes ahead of the learning fetches queued for a slot,
// a confirmation ahead of both: a frozen rendition never waits behind the fleet's learning. A playlist without a
// wall clock (tracker ages) is fetched once per target duration, or at its deadline if sooner.
import { URGENCY, type RunOptions } from './limiter.js';
import { stableHash } from './shard.js';

/** Margin after a deadline before the due fetch: the rendition then counts as stale if nothing new appeared. */
export const DUE_MARGIN_MS = 20;

/**
 * A sibling its scout stands for falls due on its own this many target durations past its deadline: only when the
 * scout's look at the deadline never came back (a hung request), since its answer fetches the siblings at once.
 */
export const SIBLING_WAIT_TD = 0.25;

/** What the schedule needs to know of a rendition's last fetch. */
export interface RenditionTimes {
  /** Epoch ms (the probe's clock) when the last fetch was back. */
  receivedAt: number;
  /** A fresh rendition with a wall clock: when it counts as stale if nothing new appears (newest end + threshold). */
  staleAt: number | null;
  /** A fresh rendition with a wall clock: when its newest media ends (the playlist's clock); else null. */
  newestEndAt: number | null;
  /** The next fetch confirms a verdict: it goes ahead of the fetches queued for a slot. */
  confirming?: boolean;
  /** The next fetch follows the scout's look (its news, or its stale verdict): learning, whatever its deadline. */
  following?: boolean;
}

export interface RenditionPlace {
  /** The path's own URL (its learning offset is a hash of it). */
  pathUrl: string;
  /** The rendition is its path's scout. */
  scout: boolean;
  /** The newest media end the path's scout has seen (null: no scout, or this is it). */
  scoutNewestEndAt: number | null;
  targetDurationMs: number;
  staleAfterTargetDurations: number;
}

/**
 * When the rendition is fetched next (epoch ms). Fresh with a wall clock: the path's scout at its learning time,
 * or at its deadline once that look saw nothing new; a sibling the scout is ahead of at its deadline, any other
 * sibling when the scout's look fetches it (at the latest SIBLING_WAIT_TD past its deadline). Without a wall
 * clock: one target duration on, or its deadline if sooner. Stale, in error or unknown: one target duration on (a
 * verdict to confirm brings it forward).
 */
export function nextDueAt(m: RenditionTimes, place: RenditionPlace): number {
  const tdMs = place.targetDurationMs;
  let next = m.receivedAt + tdMs;
  if (m.staleAt !== null) {
    const deadline = m.staleAt + DUE_MARGIN_MS;
    if (m.newestEndAt === null) next = Math.min(next, deadline);
    else if (!place.scout) {
      // The scout saw a newer segment and this one, fetched since, did not: it is late or frozen on its own.
      const scoutAhead = place.scoutNewestEndAt !== null && place.scoutNewestEndAt >= m.newestEndAt + tdMs / 2;
      next = scoutAhead ? deadline : deadline + SIBLING_WAIT_TD * tdMs;
    } else {
      const learnAt = m.newestEndAt + tdMs + learningOffsetMs(place.pathUrl, tdMs, place.staleAfterTargetDurations);
      // This fetch came at or after the learning time and saw nothing new: only the deadline is left.
      next = learnAt > m.receivedAt ? Math.min(learnAt, deadline) : deadline;
    }
  }
  return Math.max(next, m.receivedAt + DUE_MARGIN_MS);
}

/**
 * The lane a fetch waits in for a slot. A fetch at (or past) the rendition's deadline goes ahead of the learning
 * fetches queued for a slot; a confirmation (the rendition was just seen stale, or fresh again) ahead of those too.
 * A sibling following its scout's look waits as a learning fetch. A learning fetch joins the deadline fetches if it
 * is still queued when the deadline passes; a fetch without a
 * deadline (a stale rendition, no wall clock) once it has waited a target duration, so that none waits at the head
 * of its lane for ever.
 */
export function slotOptions(m: RenditionTimes | undefined, now: number, targetDurationMs: number): RunOptions {
  if (m?.confirming) return { urgency: URGENCY.confirm };
  if (m?.staleAt == null) return { deadlineInMs: targetDurationMs };
  if (now < m.staleAt) return { deadlineInMs: m.staleAt - now };
  // Past its deadline on its scout's word (the scout saw the late segment at its own deadline, or found nothing
  // fresh): learning still, as the path is alive or already stale on the scout's reading. The deadline lane stays
  // for the renditions late or frozen on their own.
  return m.following ? { deadlineInMs: SIBLING_WAIT_TD * targetDurationMs } : { urgency: URGENCY.deadline };
}

/** A fresh rendition: when it counts as stale if nothing new appears (its age reaches the threshold); else null. */
export function staleAt(o: { status: string; ageMs: number | null; thresholdMs: number | null }, receivedAt: number): number | null {
  return o.status === 'fresh' && o.ageMs !== null && o.thresholdMs !== null ? receivedAt + o.thresholdMs - o.ageMs : null;
}

/**
 * How long after its next segment should have appeared (newest media end + one target duration) a path's learning
 * fetch goes: a stable hash of its URL spread over 20-80 % of the window before the deadline ((staleAfter - 1) x
 * target duration; at staleAfter 1.5, 0.1-0.4 TD). Not earlier: a segment published on time needs a moment to
 * appear (the packager writes the playlist once the segment is complete), and a fetch right at the boundary would
 * miss more segments, each miss costing a look at the deadline. Not later: the fleet's deadline fetches stay a burst of their
 * own, and a learning fetch that waits a while for a slot (and its siblings after it) is still back before the
 * deadline. Stable per URL, so a path keeps its place in the window from one segment to the next.
 */
export function learningOffsetMs(url: string, targetDurationMs: number, staleAfterTargetDurations: number): number {
  const windowMs = Math.max(0, staleAfterTargetDurations - 1) * targetDurationMs;
  return windowMs * (0.2 + (0.6 * stableHash(url)) / 2 ** 32);
}

// The deadline schedule of a path's renditions: when each is fetched next, and in which lane of the fetcher it
// waits for a slot. A rendition's deadline is when it would first count as stale if no new segment appeared
// (newest media end + staleAfter x target duration). Between two deadlines the path gets one learning fetch, of
// its scout (the first rendition of the ladder fresh by its own wall clock): after the next segment should have
// appeared (newest media end + one target duration), plus an offset of the path's own (learningOffsetMs). The
// scout's look stands for its siblings (a ladder is packaged together): when it sees the new segment, or finds
// nothing fresh, its siblings follow, each at an offset of its own within the first half of the time left before
// its deadline (siblingOffsetMs; at once when none is left); a rendition that sees its new segment moves its
// deadline on. A scout that saw nothing new (a late segment) looks again every SCOUT_RETRY_TD until its deadline:
// segments are late by the same amount on every channel of a fleet, and every path whose scout came too early
// looking again only at the deadline would put its scout and then its whole ladder there, one burst across the
// fleet at the very moment the frozen renditions' deadline fetches go out. Only a rendition that is late or
// frozen on its own (its scout saw a newer segment, it did not) is fetched at its own deadline. Segments start on
// the same instants on every channel (epoch-aligned), so without the offsets a whole fleet would fall due in the
// same few milliseconds. A fetch at (or past) the deadline goes ahead of the learning fetches queued for a slot,
// a confirmation ahead of both: a frozen rendition never waits behind the fleet's learning. A playlist without a
// wall clock (tracker ages) is fetched once per target duration, or at its deadline if sooner.
import { URGENCY, type RunOptions } from './limiter.js';
import { stableHash } from './shard.js';

/** Margin after a deadline before the due fetch: the rendition then counts as stale if nothing new appeared. */
export const DUE_MARGIN_MS = 20;

/**
 * A sibling its scout stands for falls due on its own this many target durations past its deadline: only when the
 * scout's look at the deadline never came back (a hung request), since its answer fetches the siblings.
 */
export const SIBLING_WAIT_TD = 0.25;

/** A scout that saw nothing new at its learning time looks again this many target durations later, until its deadline. */
export const SCOUT_RETRY_TD = 0.1;

/** The siblings following their scout's look are spread over at most this many target durations (siblingOffsetMs). */
export const SIBLING_SPREAD_TD = 0.1;

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
 * then every SCOUT_RETRY_TD while it sees nothing new, up to its deadline; a sibling the scout is ahead of at its
 * deadline, any other sibling when the scout's look fetches it (at the latest SIBLING_WAIT_TD past its deadline).
 * Without a wall clock: one target duration on, or its deadline if sooner. Stale, in error or unknown: one target duration on (a
 * verdict to confirm brings it forward).
 */
export function nextDueAt(m: RenditionTimes, place: RenditionPlace): number {
  const tdMs = place.targetDurationMs;
  let next = m.receivedAt + tdMs;
  if (m.staleAt !== null) {
    const deadline = m.staleAt + DUE_MARGIN_MS;
    if (m.newestEndAt === null) next = Math.min(next, deadline);
    else if (!place.scout) next = lateOnItsOwn(m, place) ? deadline : deadline + SIBLING_WAIT_TD * tdMs;
    else {
      const learnAt = m.newestEndAt + tdMs + learningOffsetMs(place.pathUrl, tdMs, place.staleAfterTargetDurations);
      // This fetch came at or after the learning time and saw nothing new: the segment is late. The scout looks
      // again a little later, so that the path is learned before its deadline rather than at it.
      const lookAt = learnAt > m.receivedAt ? learnAt : m.receivedAt + SCOUT_RETRY_TD * tdMs;
      next = lookAt < m.staleAt ? lookAt : deadline;
    }
  }
  return Math.max(next, m.receivedAt + DUE_MARGIN_MS);
}

/**
 * A sibling its scout is ahead of: the scout saw a newer segment and this one, fetched since, did not (half a
 * target duration or more: renditions' boundaries may differ by a few frames). It is late or frozen on its own.
 */
export function lateOnItsOwn(m: RenditionTimes, place: RenditionPlace): boolean {
  return !place.scout && m.newestEndAt !== null && place.scoutNewestEndAt !== null && place.scoutNewestEndAt >= m.newestEndAt + place.targetDurationMs / 2;
}

/**
 * The lane a fetch waits in for a slot. A fetch at (or past) the rendition's deadline goes ahead of the learning
 * fetches queued for a slot; a confirmation (the rendition was just seen stale, or fresh again) ahead of those too,
 * and so does the deadline fetch of a rendition late on its own (`lateOnItsOwn`): its scout saw the new segment and
 * it did not, so that fetch is the first of a stale verdict far more often than a scout's look at its deadline
 * (a segment late on every channel of the fleet puts every path's scout there at once).
 * A sibling following its scout's look waits as a learning fetch. A learning fetch joins the deadline fetches if it
 * is still queued when the deadline passes; a fetch without a
 * deadline (a stale rendition, no wall clock) once it has waited a target duration, so that none waits at the head
 * of its lane for ever.
 */
export function slotOptions(m: RenditionTimes | undefined, now: number, targetDurationMs: number, lateAlone = false): RunOptions {
  if (m?.confirming) return { urgency: URGENCY.confirm };
  if (m?.staleAt == null) return { deadlineInMs: targetDurationMs };
  if (now < m.staleAt) return { deadlineInMs: m.staleAt - now };
  // Past its deadline on its scout's word (the scout saw the late segment at its own deadline, or found nothing
  // fresh): learning still, as the path is alive or already stale on the scout's reading. The urgent lanes stay
  // for the renditions late or frozen on their own and the scouts' looks at their deadline.
  return m.following ? { deadlineInMs: SIBLING_WAIT_TD * targetDurationMs } : { urgency: lateAlone ? URGENCY.confirm : URGENCY.deadline };
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

/**
 * How long after its scout's look a sibling following it is fetched: a stable hash of its URL spread over
 * SIBLING_SPREAD_TD, and never past half the time left before its own deadline (`staleAt`), so that it is back
 * well before it; at once when its deadline has come. A ladder's siblings fetched in the same instant, and many
 * paths' scouts answering in the same few milliseconds (a late segment appears on every channel at once), would
 * be a burst in flight ahead of the frozen renditions' deadline fetches and confirmations.
 */
export function siblingOffsetMs(url: string, now: number, staleAt: number, targetDurationMs: number): number {
  const windowMs = Math.min(SIBLING_SPREAD_TD * targetDurationMs, (staleAt - now) / 2);
  return windowMs > 0 ? (windowMs * stableHash(url)) / 2 ** 32 : 0;
}

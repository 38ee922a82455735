// Age across fetches, like a player: a playlist without EXT-X-PROGRAM-DATE-TIME (or a DASH MPD whose timeline
// follows the clock) carries no wall clock, but a live one must advance at least every target duration
// (RFC 8216 §6.2.2). The tracker remembers where the stream was and since when it has not moved.
import { PROBLEM, problem } from './problems.js';
import type { ManifestAnalysis, Problem } from './types.js';

export interface TrackerObservation {
  /** The document's own age when it carries a wall clock, else the time since it last advanced; null on a first sighting. */
  ageMs: number | null;
  /** The stream moved forward since the previous observation. */
  advanced: boolean;
  problems: Problem[];
  /** Epoch ms of the last observed advance (or of the first sighting). */
  lastAdvanceAt?: number | null;
}

interface Position {
  /** HLS: media sequence number of the newest segment; DASH: ms of the newest media end or publishTime. */
  primary: number | null;
  /** LL-HLS parts after the newest segment. */
  parts: number;
  mediaSequence: number | null;
  documentHash: number | null;
  live: boolean;
}

function positionOf(a: ManifestAnalysis): Position {
  let primary: number | null = a.lastMsn ?? null;
  if (primary === null && a.format === 'dash') {
    const edge = a.liveEdge ?? a.publishTime ?? null;
    primary = edge ? Date.parse(edge) : null;
  }
  return {
    primary,
    parts: a.partsAfterLast ?? 0,
    mediaSequence: a.mediaSequence,
    documentHash: a.documentHash ?? null,
    live: a.live,
  };
}

/** One tracker per rendition (per URL). */
export class ManifestTracker {
  private last: Position | null = null;
  private lastAdvanceAt: number | null = null;
  private seenLive = false;

  observe(a: ManifestAnalysis, now: number): TrackerObservation {
    const cur = positionOf(a);
    const prev = this.last;
    const problems: Problem[] = [];
    let advanced = false;

    if (prev === null) {
      this.lastAdvanceAt = now;
    } else {
      const regressedSeq = cur.mediaSequence !== null && prev.mediaSequence !== null && cur.mediaSequence < prev.mediaSequence;
      const regressedPos = cur.primary !== null && prev.primary !== null && cur.primary < prev.primary;
      if (regressedSeq || regressedPos) {
        problems.push(
          problem(
            PROBLEM.mediaSequenceRegressed,
            regressedSeq
              ? `media sequence went backwards: ${prev.mediaSequence} -> ${cur.mediaSequence}`
              : `the newest segment went backwards: ${prev.primary} -> ${cur.primary}`,
          ),
        );
        // A restarted packager: start measuring from the new position, but a regression is not progress.
      } else if (cur.primary !== null && prev.primary !== null) {
        advanced = cur.primary > prev.primary || (cur.primary === prev.primary && cur.parts > prev.parts);
      } else if (cur.primary !== null && prev.primary === null) {
        advanced = true;
      } else if (cur.documentHash !== null && prev.documentHash !== null) {
        advanced = cur.documentHash !== prev.documentHash;
      }
      if (advanced) this.lastAdvanceAt = now;
    }

    if (a.live) this.seenLive = true;
    else if (this.seenLive && (a.format === 'hls-media' || a.format === 'dash')) {
      problems.push(problem(PROBLEM.endlistOnLive, a.format === 'dash' ? 'the live MPD turned static' : 'EXT-X-ENDLIST appeared on a live playlist: the stream ended'));
    }
    this.last = cur;

    const ageMs = a.ageMs ?? (prev === null || this.lastAdvanceAt === null ? null : now - this.lastAdvanceAt);
    return { ageMs, advanced, problems, lastAdvanceAt: this.lastAdvanceAt };
  }
}

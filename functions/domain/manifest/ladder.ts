// The keyframe contract of an ABR ladder: every rendition cuts segments at the same instants, so the segment
// with a given media sequence number carries the same EXT-X-PROGRAM-DATE-TIME in every rendition. A player
// switching renditions relies on it; a misaligned ladder stalls or skips on every switch.
import { scanHls } from './hls.js';
import { PROBLEM, problem } from './problems.js';
import type { ManifestAnalysis, Problem } from './types.js';

export const DEFAULT_LADDER_TOLERANCE_MS = 500;

export function checkLadderAlignment(
  renditions: Array<{ name: string; analysis: ManifestAnalysis; text?: string }>,
  toleranceMs = DEFAULT_LADDER_TOLERANCE_MS,
): Problem[] {
  const media = renditions.filter((r) => r.analysis.format === 'hls-media' && r.analysis.lastMsn != null);
  if (media.length < 2) return [];
  // Compare at the newest segment that every rendition has.
  const msn = Math.min(...media.map((r) => r.analysis.lastMsn as number));
  const starts: Array<{ name: string; ms: number }> = [];
  for (const r of media) {
    let ms = Number.NaN;
    if (r.analysis.lastMsn === msn && r.analysis.lastSegmentStart) ms = Date.parse(r.analysis.lastSegmentStart);
    else if (r.text !== undefined) ms = scanHls(r.text, r.text.charCodeAt(0) === 0xfeff ? 1 : 0, 0, undefined, msn).probeStartMs;
    if (!Number.isNaN(ms)) starts.push({ name: r.name, ms });
  }
  if (starts.length < 2) return [];
  const ref = starts[0] as { name: string; ms: number };
  const off = starts.filter((s) => Math.abs(s.ms - ref.ms) > toleranceMs);
  if (off.length === 0) return [];
  const detail = off.map((s) => `${s.name} ${s.ms - ref.ms > 0 ? '+' : ''}${Math.round(s.ms - ref.ms)} ms`).join(', ');
  return [
    problem(
      PROBLEM.ladderMisaligned,
      `media sequence ${msn} does not start at the same wall-clock time in every rendition (tolerance ${toleranceMs} ms): against ${ref.name}: ${detail}`,
    ),
  ];
}

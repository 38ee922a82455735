// What a drill records as it runs: markers (what happened, when) and the probe's series, on one clock
// whose zero is the start of the scenario's timeline (the first fault).
import type { StateSample } from './invariants.js';
import type { Marker, MarkerKind, SeriesPoint } from './report.js';

export interface Recorder {
  readonly markers: Marker[];
  readonly series: SeriesPoint[];
  /** The world and the control plane, sampled for the invariants (watchers.ts sampleState). */
  readonly samples: StateSample[];
  /** Epoch ms of t = 0. */
  t0: number;
  /** Seconds since t = 0 of an epoch-ms time. */
  tOf(epochMs: number): number;
  mark: (kind: MarkerKind, label: string, detail?: string, at?: number) => void;
}

/** Identical markers within this many seconds collapse into one with a count. */
const COLLAPSE_S = 5;

export function createRecorder(): Recorder {
  const markers: Marker[] = [];
  const series: SeriesPoint[] = [];
  const samples: StateSample[] = [];
  const recent = new Map<string, Marker & { count: number }>();
  const rec: Recorder = {
    markers,
    series,
    samples,
    t0: Date.now(),
    tOf: (epochMs) => (epochMs - rec.t0) / 1000,
    mark: (kind, label, detail, at = Date.now()) => {
      // Storms of identical markers (1,000 duplicate events) collapse into one with a count.
      const key = `${kind}|${label}|${kind === 'decision' ? (detail ?? '') : ''}`;
      const prev = recent.get(key);
      const t = rec.tOf(at);
      if (prev && t - prev.t < COLLAPSE_S) {
        prev.count++;
        prev.detail = `x${prev.count}${detail ? `; ${detail}` : ''}`;
        return;
      }
      const m = { t, kind, label, count: 1, ...(detail ? { detail } : {}) };
      recent.set(key, m);
      markers.push(m);
    },
  };
  return rec;
}

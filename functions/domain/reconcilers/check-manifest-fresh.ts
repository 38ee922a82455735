// Is a manifest fresh right now? Delegates to the manifest domain (checkManifestFreshness), which turns
// fetch errors into a not-fresh verdict instead of throwing: a dead origin is an answer, not a failure.
import { nowIso, type StepReport } from './report.js';

/** The part of functions/domain/manifest's FreshnessVerdict the step reports. */
export interface FreshnessVerdictLike {
  fresh: boolean;
  ageMs: number | null;
  thresholdMs: number | null;
  reason: string;
}

export type FreshnessCheck = (url: string, opts: { staleAfterTargetDurations: number; timeoutMs?: number }) => Promise<FreshnessVerdictLike>;

export interface FreshnessObserved extends FreshnessVerdictLike {
  target: string;
  url: string;
  observedAt: string;
}

export interface CheckManifestFreshInput {
  /** What is being checked (standby origin, primary origin, edge): reported only. */
  target: string;
  url: string;
  staleAfterTargetDurations: number;
  timeoutMs?: number;
  check: FreshnessCheck;
  now?: () => number;
}

export async function checkManifestFresh(input: CheckManifestFreshInput): Promise<StepReport<FreshnessObserved>> {
  const verdict = await input.check(input.url, {
    staleAfterTargetDurations: input.staleAfterTargetDurations,
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
  });
  return {
    step: 'checkManifestFresh',
    observed: {
      target: input.target,
      url: input.url,
      fresh: verdict.fresh,
      ageMs: verdict.ageMs,
      thresholdMs: verdict.thresholdMs,
      reason: verdict.reason,
      observedAt: nowIso(input.now),
    },
    changes: [],
  };
}

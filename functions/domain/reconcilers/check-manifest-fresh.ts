// Is a manifest fresh right now? Delegates to the manifest domain (checkManifestFreshness), which turns
// fetch errors into a not-fresh verdict instead of throwing: a dead origin is an answer, not a failure.
import { setTimeout as sleep } from 'node:timers/promises';
import { nowIso, type StepReport } from './report.js';

/** The part of functions/domain/manifest's FreshnessVerdict the step reports. */
export interface FreshnessVerdictLike {
  fresh: boolean;
  ageMs: number | null;
  thresholdMs: number | null;
  /** Set when young but without media since `producedSince`: epoch ms by which it must show some. */
  newMediaDueAt?: number;
  reason: string;
}

export type FreshnessCheck = (url: string, opts: { staleAfterTargetDurations: number; timeoutMs?: number; producedSince?: number }) => Promise<FreshnessVerdictLike>;

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
  /**
   * Epoch ms: fresh only with media ending after it (a side that has just died still looks young). A side with
   * none yet is given until that media would be stale to show some, then looked at again: a live one will have.
   */
  producedSince?: number;
  check: FreshnessCheck;
  now?: () => number;
}

export async function checkManifestFresh(input: CheckManifestFreshInput): Promise<StepReport<FreshnessObserved>> {
  const look = () =>
    input.check(input.url, {
      staleAfterTargetDurations: input.staleAfterTargetDurations,
      ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
      ...(input.producedSince !== undefined ? { producedSince: input.producedSince } : {}),
    });
  let verdict = await look();
  if (verdict.newMediaDueAt !== undefined) {
    await sleep(Math.max(0, verdict.newMediaDueAt - (input.now ?? Date.now)()));
    verdict = await look();
  }
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


// Small helpers every reconciler uses to build its StepReport.
import type { Change, Mode, StepReport } from '../contracts.js';

export type { Change, Mode, StepReport };

/** A change that is applied in live mode and only reported in plan mode. */
export const change = (mode: Mode, resource: string, from: unknown, to: unknown): Change => ({
  resource,
  from,
  to,
  applied: mode === 'live',
});

export const nowIso = (now: () => number = Date.now): string => new Date(now()).toISOString();

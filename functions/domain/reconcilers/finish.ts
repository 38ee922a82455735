// Closes an incident on the ledger: records what happened, then releases the lock with the outcome
// and what is on the air now. Ledger.complete is idempotent (a no-op once the lock is released).
import type { Change, ExecutionAction, LedgerItem, OnAir } from '../contracts.js';
import { LockLostError } from './errors.js';
import type { Mode, StepReport } from './report.js';

export type Outcome = 'succeeded' | 'degraded' | 'failed' | 'rolled-back' | 'planned';

/** The part of the Ledger (functions/domain/ledger) finishing an incident needs. */
export interface IncidentLedger {
  get(channelId: string): Promise<LedgerItem>;
  record(channelId: string, entry: { kind: string; message: string; incidentId?: string }): Promise<boolean>; // false: that entry was already recorded
  complete(req: { channelId: string; incidentId: string; outcome: Outcome; onAir: OnAir }): Promise<LedgerItem>;
}

export interface FinishIncidentInput {
  channelId: string;
  incidentId: string;
  action: ExecutionAction;
  outcome: Outcome;
  onAir: OnAir;
  mode: Mode;
  /** Every change the execution's steps made (or would make), in order. */
  changes: Change[];
  /** The error that ended the execution, when it failed. */
  error?: { Error?: string; Cause?: string } | undefined;
  ledger: IncidentLedger;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'absent';
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** One line per incident for the ledger's recent[] (and the notification). */
export function summarize(
  input: Pick<FinishIncidentInput, 'action' | 'mode' | 'changes' | 'error'> & { outcome: Outcome | 'lock-lost'; onAir: OnAir | 'unchanged' },
): string {
  const verb = input.mode === 'plan' ? 'would change' : 'changed';
  const changes = input.changes.filter((c) => c.applied || input.mode === 'plan');
  const what = changes.length ? `${verb} ${changes.map((c) => `${c.resource} ${show(c.from)} -> ${show(c.to)}`).join('; ')}` : 'no change';
  const error = input.error?.Error ? ` (${input.error.Error}: ${input.error.Cause ?? ''})` : '';
  return `${input.mode === 'plan' ? 'plan: ' : ''}${input.action} ${input.outcome}, on air: ${input.onAir}; ${what}${error}`;
}

/**
 * Another incident holds the channel (this one's lock was taken over): recording this outcome would say
 * something the routing no longer shows. Records what this execution did under its own kind, never as its
 * outcome, and throws Flatline.LockLost (the state machine pages and fails).
 */
async function refuseWithoutLock(input: FinishIncidentInput, summary: string, item: LedgerItem): Promise<never> {
  const holder = `incident ${item.incidentId ?? '?'} (${item.phase}, on air ${item.onAir})`;
  const message = `${summary}; NOT recorded as ${input.outcome}: the lock is held by ${holder}`;
  await input.ledger.record(input.channelId, { kind: `${input.action}-lock-lost`, message, incidentId: input.incidentId });
  throw new LockLostError(`incident ${input.incidentId} lost the lock of ${input.channelId} to ${holder}: its outcome (${input.outcome}) is not recorded`, {
    channelId: input.channelId,
    incidentId: input.incidentId,
    heldBy: item.incidentId,
  });
}

export async function finishIncident(input: FinishIncidentInput): Promise<StepReport<{ summary: string; item: LedgerItem }>> {
  const summary = summarize(input);
  const current = await input.ledger.get(input.channelId);
  if (current.incidentId !== input.incidentId) return refuseWithoutLock(input, summary, current);
  await input.ledger.record(input.channelId, { kind: `${input.action}-${input.outcome}`, message: summary, incidentId: input.incidentId });
  // A plan changed nothing: release the lock as 'planned' (what is on the air stays as is, and no
  // lastTransitionAt is set, so the dwell time of real incidents is not disturbed).
  const item =
    input.mode === 'plan'
      ? await input.ledger.complete({ channelId: input.channelId, incidentId: input.incidentId, outcome: 'planned', onAir: (await input.ledger.get(input.channelId)).onAir })
      : await input.ledger.complete({ channelId: input.channelId, incidentId: input.incidentId, outcome: input.outcome, onAir: input.onAir });
  // Taken over between the read and the conditional write: complete() changed nothing.
  if (item.incidentId !== input.incidentId) return refuseWithoutLock(input, summary, item);
  return {
    step: 'finishIncident',
    observed: { summary, item },
    changes: [],
  };
}

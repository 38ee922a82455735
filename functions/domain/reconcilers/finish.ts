// Closes an incident on the ledger: records what happened, then releases the lock with the outcome
// and what is on the air now. Ledger.complete is idempotent (a no-op once the lock is released).
import type { Change, ExecutionAction, LedgerItem, OnAir } from '../contracts.js';
import type { Mode, StepReport } from './report.js';

export type Outcome = 'succeeded' | 'failed' | 'rolled-back' | 'planned';

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
  input: Pick<FinishIncidentInput, 'action' | 'outcome' | 'mode' | 'changes' | 'error'> & { onAir: OnAir | 'unchanged' },
): string {
  const verb = input.mode === 'plan' ? 'would change' : 'changed';
  const changes = input.changes.filter((c) => c.applied || input.mode === 'plan');
  const what = changes.length ? `${verb} ${changes.map((c) => `${c.resource} ${show(c.from)} -> ${show(c.to)}`).join('; ')}` : 'no change';
  const error = input.error?.Error ? ` (${input.error.Error}: ${input.error.Cause ?? ''})` : '';
  return `${input.mode === 'plan' ? 'plan: ' : ''}${input.action} ${input.outcome}, on air: ${input.onAir}; ${what}${error}`;
}

export async function finishIncident(input: FinishIncidentInput): Promise<StepReport<{ summary: string; item: LedgerItem }>> {
  const summary = summarize(input);
  await input.ledger.record(input.channelId, { kind: `${input.action}-${input.outcome}`, message: summary, incidentId: input.incidentId });
  // A plan changed nothing: release the lock as 'planned' (what is on the air stays as is, and no
  // lastTransitionAt is set, so the dwell time of real incidents is not disturbed).
  const item =
    input.mode === 'plan'
      ? await input.ledger.complete({ channelId: input.channelId, incidentId: input.incidentId, outcome: 'planned', onAir: (await input.ledger.get(input.channelId)).onAir })
      : await input.ledger.complete({ channelId: input.channelId, incidentId: input.incidentId, outcome: input.outcome, onAir: input.onAir });
  return {
    step: 'finishIncident',
    observed: { summary, item },
    changes: [],
  };
}

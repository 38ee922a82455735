// The input shared by the closing steps (finishIncident, notify): what happened to the incident, and
// the reports of every step so far ($.steps in the state machines), from which the changes are read.
import * as z from '../domain/zod.js';
import type { Change, OnAir } from '../domain/contracts.js';
import type { Outcome } from '../domain/reconcilers/finish.js';
import type { NotifySeverity } from '../domain/reconcilers/notify.js';
import { summarize } from '../domain/reconcilers/finish.js';
import { requestedBy } from '../domain/operator-request.js';
import { ActionSchema, StatesErrorSchema, StepInputBase } from './step.js';

export const IncidentInput = z.extend(StepInputBase, {
  incidentId: z.string().check(z.minLength(1)),
  action: ActionSchema,
  /**
   * slate = the standby was not ready by the deadline and the slate went on. degraded = viewers are on the
   * side the execution moved them to (KVS route) but a later step failed and the other side was not fresh
   * to roll back onto. lock-lost = another incident holds the channel (notify only: nothing is recorded as
   * this execution's outcome).
   */
  outcome: z.enum(['succeeded', 'degraded', 'slate', 'rolled-back', 'failed', 'lock-lost']),
  /** snapshot = what the routing snapshot says (after a rollback); unchanged = whatever the ledger says now. */
  onAir: z.enum(['primary', 'standby', 'slate', 'snapshot', 'unchanged']),
  steps: z._default(z.record(z.string(), z.unknown()), {}),
  error: z.optional(StatesErrorSchema),
  /** Why the execution started (triage's reason: the signal's kind and severity). */
  reason: z.optional(z.string()),
  /** The triggering signal (the notifications name an operator's requestedBy and reason from its detail). */
  signal: z.optional(z.looseObject({ source: z.string(), kind: z.string(), detail: z.optional(z.record(z.string(), z.unknown())) })),
});
export type IncidentInput = z.infer<typeof IncidentInput>;

const ChangeSchema = z.object({ resource: z.string(), from: z.unknown(), to: z.unknown(), applied: z.boolean() });
const ReportSchema = z.looseObject({ changes: z.array(ChangeSchema) });

/** Every change in the step reports, in the order the steps ran (a caught error has no changes). */
export function changesOf(steps: Record<string, unknown>): Change[] {
  return Object.values(steps).flatMap((report) => {
    const parsed = ReportSchema.safeParse(report);
    return parsed.success ? parsed.data.changes : [];
  });
}

/** The ledger's outcomes: a slate is a failed failover with the slate on the air; a lost lock records none (failed, at most). */
export const ledgerOutcome = (outcome: IncidentInput['outcome']): Outcome => (outcome === 'slate' || outcome === 'lock-lost' ? 'failed' : outcome);

const SnapshotReport = z.looseObject({ observed: z.looseObject({ route: z.nullable(z.string()), slate: z.boolean() }) });

/** What viewers get according to the routing snapshot: the slate wins, then the KVS route (absent = primary). */
export function onAirFromSnapshot(steps: Record<string, unknown>): OnAir | null {
  const parsed = SnapshotReport.safeParse(steps.snapshot);
  if (!parsed.success) return null;
  if (parsed.data.observed.slate) return 'slate';
  return parsed.data.observed.route === 'standby' ? 'standby' : 'primary';
}

/** The concrete onAir of the input, or null when it is "unchanged" (the ledger's current value stays). */
export function resolveOnAir(input: IncidentInput): OnAir | null {
  if (input.onAir === 'snapshot') return onAirFromSnapshot(input.steps);
  if (input.onAir === 'unchanged') return null;
  return input.onAir;
}

/** Steps that failed and were caught without ending the execution (their ResultPath holds {Error, Cause}). */
export function caughtErrors(steps: Record<string, unknown>): string[] {
  return Object.entries(steps).flatMap(([name, value]) => {
    const parsed = StatesErrorSchema.safeParse(value);
    return parsed.success && parsed.data.Error ? [`${name} failed: ${parsed.data.Error}: ${parsed.data.Cause ?? ''}`] : [];
  });
}

const EdgeCheck = z.looseObject({ observed: z.looseObject({ fresh: z.boolean(), reason: z.optional(z.string()) }) });

/** The edge was checked and never seen fresh (the routing is done, viewers may still be stuck). */
export function edgeStillStale(steps: Record<string, unknown>): string | null {
  const parsed = EdgeCheck.safeParse(steps.edgeFresh);
  return parsed.success && !parsed.data.observed.fresh ? (parsed.data.observed.reason ?? 'edge not fresh') : null;
}

export function severityOf(input: IncidentInput): NotifySeverity {
  if (input.outcome === 'succeeded') return edgeStillStale(input.steps) ? 'warning' : 'info';
  // A failback that did not happen leaves viewers on a healthy standby: worth a look, not a page.
  if (input.action === 'failback' && input.outcome === 'failed') return 'warning';
  return 'page';
}

/** What a degraded incident left: viewers on the side it moved them to, the other side not fresh to go back to. */
function degradedLines(input: IncidentInput): string[] {
  const [to, from] = input.action === 'failover' ? ['standby', 'primary'] : ['primary', 'standby'];
  return [
    `viewers stay on the ${to} through the KVS route (the fast path); the ${from} was not fresh, so nothing was rolled back onto it`,
    `failed after the repoint: ${input.error?.Error ?? 'a step'} (the origin group, the durable path, may still put the ${from} first: fix the cause, then reorder it${input.action === 'failover' ? ' or fail back' : ''})`,
  ];
}

export function notification(input: IncidentInput): { subject: string; message: string; severity: NotifySeverity } {
  const severity = severityOf(input);
  const plan = input.mode === 'plan' ? ' (plan)' : '';
  const subject = `${severity === 'page' ? 'PAGE ' : ''}flatline ${input.channelId}: ${input.action} ${input.outcome}${plan}, on air ${resolveOnAir(input) ?? 'unchanged'}`;
  const edge = edgeStillStale(input.steps);
  const requested = input.signal ? requestedBy(input.signal) : '';
  const lines = [
    summarize({ action: input.action, outcome: input.outcome === 'lock-lost' ? input.outcome : ledgerOutcome(input.outcome), onAir: resolveOnAir(input) ?? 'unchanged', mode: input.mode, changes: changesOf(input.steps), error: input.error }),
    `channel: ${input.channelId}`,
    `incident: ${input.incidentId}`,
    ...(input.reason ? [`reason: ${input.reason}`] : []),
    ...(requested ? [requested] : []),
    ...(input.outcome === 'slate' ? ['the standby did not serve a fresh manifest by its deadline: the slate is on the air'] : []),
    ...(input.outcome === 'degraded' ? degradedLines(input) : []),
    ...(input.outcome === 'lock-lost' ? ['another incident holds this channel: check the ledger and the routing (KVS route, origin group)'] : []),
    ...(edge ? [`the edge is not fresh yet: ${edge}`] : []),
    ...(input.error?.Error ? [`error: ${input.error.Error}`, `cause: ${input.error.Cause ?? ''}`] : []),
    ...caughtErrors(input.steps),
  ];
  return { subject, message: lines.join('\n'), severity };
}

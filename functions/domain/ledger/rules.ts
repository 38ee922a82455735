// The ledger's rules, free of DynamoDB: what the lock is, what an item defaults to, what an entry looks
// like. The policy and triage read them; ledger.ts (the DynamoDB adapter) enforces them in its conditions.
import type { ExecutionAction, LedgerEntry, LedgerItem, OnAir } from '../contracts.js';

/**
 * The failover and failback state machines' TimeoutSeconds (statemachines/*.asl.json; test/deploy/timeouts.test.ts
 * checks they agree). No execution runs longer, so a lock sized from it outlives every execution.
 */
export const EXECUTION_TIMEOUT_SECONDS = 3600;

/**
 * The lock outlives its execution: the state machine's timeout, plus the time triage may take between the
 * acquire and StartExecution and the closing step's retries after a timeout. It is released by the execution
 * (finish), by triage when StartExecution fails, or taken over once its execution is no longer RUNNING.
 */
export const LOCK_TTL_MS = (EXECUTION_TIMEOUT_SECONDS + 300) * 1000;

/** How many entries recent[] keeps (oldest dropped first). */
export const RECENT_CAP = 50;

/**
 * planned: a plan-mode run ended; it changed nothing, so like a failure it starts no dwell. degraded: viewers
 * moved (the KVS route) but a later step (the origin group) failed: a transition, so the dwell starts.
 */
export type Outcome = 'succeeded' | 'degraded' | 'failed' | 'rolled-back' | 'planned';

/** The outcomes that moved the viewers: the dwell (lastTransitionAt) starts there. */
export const TRANSITIONS: ReadonlySet<Outcome> = new Set(['succeeded', 'degraded']);

export interface AcquireRequest {
  channelId: string;
  incidentId: string;
  action: ExecutionAction;
  ttlMs: number;
  /**
   * Optional optimistic check: acquire only if the item is still at this version (the one a policy decision
   * was based on). Without it only the lock itself is checked.
   */
  expectVersion?: number;
  /**
   * Take the lock over from an incident whose execution is known not to run any more (DescribeExecution:
   * not RUNNING): acquire also when exactly that incident and execution hold it, even before it expires.
   */
  takeOver?: { incidentId: string; executionArn: string };
}

export type AcquireResult = { acquired: true; item: LedgerItem } | { acquired: false; item: LedgerItem; reason: string };

export interface CompleteRequest {
  channelId: string;
  incidentId: string;
  outcome: Outcome;
  onAir: OnAir;
}

export const LOCKED_PHASES = { ':failingOver': 'failing-over', ':failingBack': 'failing-back' } as const;

/** The lock is held while the phase is transitional and it has not expired. Pure: used by triage/policy too. */
export function lockHeld(item: Pick<LedgerItem, 'phase' | 'lockExpiresAt'>, now: number): boolean {
  return (item.phase === 'failing-over' || item.phase === 'failing-back') && (item.lockExpiresAt ?? 0) > now;
}

export function defaultItem(channelId: string): LedgerItem {
  return { channelId, onAir: 'primary', phase: 'steady', version: 0, recent: [] };
}

export type PipelineAlerts = Record<'0' | '1', string[]>;


export function entry(now: number, kind: string, message: string, incidentId?: string): LedgerEntry {
  return { at: new Date(now).toISOString(), kind, message, ...(incidentId ? { incidentId } : {}) };
}

export function refusalReason(item: LedgerItem, req: AcquireRequest, now: number): string {
  if (lockHeld(item, now)) {
    return item.incidentId === req.incidentId
      ? 'held by this incident'
      : `locked by incident ${item.incidentId ?? '?'} (${item.phase}) until ${new Date(item.lockExpiresAt ?? 0).toISOString()}`;
  }
  return `ledger changed since version ${req.expectVersion ?? '?'} (now ${item.version})`;
}


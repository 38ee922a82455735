// The ledger's rules, free of DynamoDB: what the lock is, what an item defaults to, what an entry looks
// like. The policy and triage read them; ledger.ts (the DynamoDB adapter) enforces them in its conditions.
import type { ExecutionAction, LedgerEntry, LedgerItem, OnAir } from '../contracts.js';
import { clipUtf8 } from '../text.js';

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
 * How many dedupe keys (kind|incidentId of the entries written once) the item remembers, oldest dropped
 * first: kept apart from recent[] and ten times longer, so a redelivery (EventBridge delivers at least once,
 * and the rules retry for up to an hour) is still recognized after its entry scrolled out of recent[].
 * A key is at most KIND_MAX_BYTES + 1 + 24 bytes: about 45 KB for all of them.
 */
export const DEDUPE_CAP = 500;
/** An entry's message, cut past this (a step's error cause alone can be 32 KB). */
export const MESSAGE_MAX_BYTES = 2048;
/** An entry's kind (set by code, e.g. failover-succeeded; cut all the same). */
export const KIND_MAX_BYTES = 64;
/** The rest of an entry: `at` (24), the incident id (24, from incidentIdFor), attribute names and encoding. */
const ENTRY_OVERHEAD_BYTES = 128;
/**
 * recent[] stays within this many bytes (about 110 KB), whatever is recorded: with the dedupe keys and the
 * rest of the item, far below DynamoDB's 400 KB item limit, past which every write to the channel's item
 * fails (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
 */
export const RECENT_MAX_BYTES = RECENT_CAP * (MESSAGE_MAX_BYTES + KIND_MAX_BYTES + ENTRY_OVERHEAD_BYTES);

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

/** The phase is one an execution holds the lock in (whether or not the lock has expired since). */
export function lockedPhase(item: Pick<LedgerItem, 'phase'>): boolean {
  return item.phase === 'failing-over' || item.phase === 'failing-back';
}

/** The lock is held while the phase is transitional and it has not expired. Pure: used by triage/policy too. */
export function lockHeld(item: Pick<LedgerItem, 'phase' | 'lockExpiresAt'>, now: number): boolean {
  return lockedPhase(item) && (item.lockExpiresAt ?? 0) > now;
}

export function defaultItem(channelId: string): LedgerItem {
  return { channelId, onAir: 'primary', phase: 'steady', version: 0, recent: [] };
}

export type PipelineAlerts = Record<'0' | '1', string[]>;


/** What record() remembers of an entry written once per (kind, incident). */
export const dedupeKey = (kind: string, incidentId: string): string => `${clipUtf8(kind, KIND_MAX_BYTES)}|${incidentId}`;

/** How many of the oldest items to drop so that a list of `length` keeps `cap` (0: none). */
export const excess = (length: number, cap: number): number => Math.max(0, length - cap);

/** One recent[] entry, its free text cut to the bounds above. */
export function entry(now: number, kind: string, message: string, incidentId?: string): LedgerEntry {
  return { at: new Date(now).toISOString(), kind: clipUtf8(kind, KIND_MAX_BYTES), message: clipUtf8(message, MESSAGE_MAX_BYTES), ...(incidentId ? { incidentId } : {}) };
}

export function refusalReason(item: LedgerItem, req: AcquireRequest, now: number): string {
  if (lockHeld(item, now)) {
    return item.incidentId === req.incidentId
      ? 'held by this incident'
      : `locked by incident ${item.incidentId ?? '?'} (${item.phase}) until ${new Date(item.lockExpiresAt ?? 0).toISOString()}`;
  }
  return `ledger changed since version ${req.expectVersion ?? '?'} (now ${item.version})`;
}


// Triage: any accepted event -> Signal -> policy -> ledger -> (confirmation) -> lock -> StartExecution.
//
//   validate      toSignal(): schema + registry; malformed / unknown => throws (the Lambda's on-failure
//                 destination, the DLQ, gets the event; nothing is acted on, no AWS call is made)
//   bookkeeping   per-pipeline alert sets, primary freshness (ledger)
//   policy        evaluate(): ignore | record | coalesced | failover | failback (pure); an outage held back
//                 by the dwell is scheduled to come back when the dwell ends (recheck.ts)
//   confirm       failover only, not for operator requests/drills: DescribeChannel + fresh manifest fetch
//   lock          ledger.acquire (one conditional write, expectVersion = the version the policy saw); a lock
//                 held by another incident whose execution is not RUNNING (DescribeExecution) is taken over
//   start         StartExecution(name = <channel>-<incident>, input = ExecutionInput), attachExecution; when
//                 StartExecution fails the lock is released, the incident paged, and the error rethrown
//
// Plan mode (operator event detail.mode = "plan", or FLATLINE_MODE=plan for the whole deployment): the
// decision is the same and the execution is started with mode "plan": the state machine reports every
// change it would make and makes none. The lock is taken like for a live run (so a plan never races a
// real incident) and finishIncident releases it without recording a transition.
//
// Duplicates: the incident id derives from the signal, so redeliveries share the execution name and input.
// A retried triage whose incident holds the lock but has no executionArn yet re-issues StartExecution
// (idempotent for the same name + input); a redelivery after the execution closed gets
// ExecutionAlreadyExists and is coalesced.
import { DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { MediaLiveClient } from '@aws-sdk/client-medialive';
import type { ExecutionAction, ExecutionInput, LedgerItem, Mode, Signal } from '../contracts.js';
import type { Ledger } from '../ledger/ledger.js';
import { LOCK_TTL_MS, lockedPhase, lockHeld, type AcquireRequest, type PipelineAlerts } from '../ledger/rules.js';
import { evaluate, lateByMs, type PolicyDecision } from '../policy/index.js';
import { requestedBy } from '../operator-request.js';
import type { Channel, Registry } from '../registry/index.js';
import { confirmOutage, type Confirmation, type FreshnessCheck } from './confirm.js';
import type { ScheduleRecheck } from './recheck.js';
import { executionName, incidentIdFor } from './incident-id.js';
import { requireDrillTag } from './drill-tag.js';
import { toSignal } from './signals.js';

export { toSignal } from './signals.js';
export { incidentIdFor, executionName } from './incident-id.js';
export type { FreshnessCheck, FreshnessResult, Confirmation } from './confirm.js';

export type TriageOutcome = 'ignore' | 'record' | 'failover' | 'failback' | 'coalesced';

export interface TriageDecision {
  decision: TriageOutcome;
  reason: string;
  signal: Signal;
  incidentId?: string;
  executionArn?: string;
  mode: Mode;
  drill?: boolean;
  confirmation?: Confirmation;
  /** ISO time the decision to act was final (after any confirmation), before the lock and StartExecution. */
  decidedAt?: string;
}

/** Where triage reports what it saw (metrics and logs live in the Lambda adapter, not here). */
export interface TriageObserver {
  signal?(signal: Signal): void;
  degraded?(signal: Signal, reason: string): void;
  started?(action: ExecutionAction, channelId: string, mode: Mode): void;
  info?(message: string, context: Record<string, unknown>): void;
}

export interface TriageDeps {
  registry: Registry;
  ledger: Ledger;
  sfn: Pick<SFNClient, 'send'>;
  mediaLive: (region: string) => Pick<MediaLiveClient, 'send'>;
  checkFreshness: FreshnessCheck;
  stateMachines: { failover: string; failback: string };
  /** FLATLINE_MODE: 'plan' makes every execution a dry run. */
  mode?: Mode;
  /** FLATLINE_STAGE, for the alarm name convention. */
  stage?: string;
  /** FLATLINE_ACCOUNT_ID: the account of the registry's channels; a MediaLive event must name it exactly. */
  account?: string;
  now?: () => number;
  /** Events older than this are evidence, not news (FLATLINE_MAX_EVENT_AGE_SECONDS; default 5 min). */
  maxEventAgeMs?: number;
  /**
   * Hands an outage the dwell held back to triage again when the dwell is over (triage/recheck.ts). Without
   * it, only the probe's reminders of a primary that stays stale bring the outage back.
   */
  scheduleRecheck?: ScheduleRecheck;
  /** Page someone (SNS) without starting anything, e.g. the standby fails while on air. */
  notify?: (page: { channelId: string; incidentId: string; subject: string; message: string }) => Promise<void>;
  observer?: TriageObserver;
}

/** The lock outlives the longest execution (sized from the state machines' timeout, see ledger/rules.ts). */
export const lockTtlMs = (): number => LOCK_TTL_MS;

/** A page's first line, and for an operator's request who asked and why on the next. */
function withRequester(line: string, signal: Signal): string {
  const requested = requestedBy(signal);
  return requested ? `${line}\n${requested}` : line;
}

/**
 * The same signal must yield the same execution input (idempotent StartExecution): no clock in it, and of
 * the ledger only what makes the action (standbyDown: the signal is an outage of the standby on air).
 * Each piece of free text travels once: an operator's reason is in signal.detail, not copied here.
 */
function executionInput(signal: Signal, incidentId: string, action: ExecutionAction, mode: Mode, policy: PolicyDecision): ExecutionInput {
  const what = `${signal.kind} (${signal.severity})`;
  return {
    incidentId,
    channelId: signal.channelId,
    action,
    reason: policy.standbyDown ? `the standby on air is down: ${what}` : what,
    mode,
    requestedAt: signal.at,
    signal,
    ...(policy.drill ? { drill: true } : {}),
    ...(policy.standbyDown ? { standbyDown: true } : {}),
    ...(policy.standbyReadySeconds !== undefined ? { timing: { standbyReadySeconds: policy.standbyReadySeconds } } : {}),
  };
}

export async function triage(event: unknown, deps: TriageDeps): Promise<TriageDecision> {
  const now = deps.now ?? Date.now;
  const { signal, channel } = toSignal(event, { registry: deps.registry, stage: deps.stage, account: deps.account });
  // Refused before anything is read or written: the event goes to the dead letters with the reason.
  if (signal.kind === 'drill-requested') await requireDrillTag(channel, deps.mediaLive);
  deps.observer?.signal?.(signal);
  const incidentId = incidentIdFor(signal);
  const mode: Mode = signal.detail?.mode === 'plan' || deps.mode === 'plan' ? 'plan' : 'live';
  const base = { signal, mode, incidentId };

  const primaryAlerts = await trackAlerts(signal, deps.ledger);
  let freshApplied = false;
  let confirmation: Confirmation | undefined;

  // A lost optimistic write (the item changed between read and acquire) re-reads and re-decides.
  for (let attempt = 0; attempt < 3; attempt++) {
    const item = await deps.ledger.get(channel.id);
    const decide = (seen: LedgerItem): PolicyDecision =>
      evaluate({
        signal,
        channel,
        item: seen,
        now: now(),
        incidentId,
        ...(primaryAlerts ? { primaryAlerts } : {}),
        ...(deps.maxEventAgeMs === undefined ? {} : { maxEventAgeMs: deps.maxEventAgeMs }),
      });
    let policy = decide(item);
    // Only a change is written: a storm of duplicates must cost the one ledger item reads, not writes.
    const freshChanges = policy.primaryFresh === 'set' ? item.primaryFreshSince === undefined : policy.primaryFresh === 'clear' && item.primaryFreshSince !== undefined;
    if (!freshApplied && freshChanges) {
      // A late "fresh" says the primary was fresh back then, not that it has been since: count from now.
      const since = lateByMs(signal, now(), deps.maxEventAgeMs) > 0 ? now() : Math.min(Date.parse(signal.at), now());
      await deps.ledger.markPrimaryFresh(channel.id, policy.primaryFresh === 'set' ? since : null);
      freshApplied = true;
    }
    // A lock whose execution no longer runs (failed, timed out, aborted before its finish step) is taken
    // over, not joined: decide as if it were free, and acquire only from exactly that incident and execution.
    let takeOver: AcquireRequest['takeOver'];
    if (policy.action === 'coalesced' && item.executionArn && item.incidentId && (await executionEnded(item.executionArn, deps))) {
      takeOver = { incidentId: item.incidentId, executionArn: item.executionArn };
      policy = decide({ ...item, lockExpiresAt: now() });
    }
    // An expired lock whose execution still runs is joined, not taken: two executions would fight over the
    // channel's routing (the lock is sized to outlive its execution; this covers a lock that ended anyway).
    const acting = policy.action === 'failover' || policy.action === 'failback';
    if (acting && item.executionArn && lockedPhase(item) && !lockHeld(item, now()) && !(await executionEnded(item.executionArn, deps))) {
      const reason = `${policy.reason}; coalesced into incident ${item.incidentId ?? '?'}: its lock expired but its execution ${item.executionArn} still runs`;
      policy = { ...decisionOf('coalesced'), reason };
    }
    if (policy.action === 'ignore') return { ...base, decision: 'ignore', reason: policy.reason, drill: policy.drill };
    if (policy.action === 'record' && policy.notify && policy.confirm && !confirmation) {
      // A page that asks to be confirmed (an outage held back by the dwell) goes out, and schedules its
      // re-check, only if the primary is down now.
      confirmation = await confirmOutage(channel, deps, 'primary');
      if (confirmation.recovered) {
        const { recheck: _unconfirmed, ...rest } = policy;
        return { ...(await record({ ...rest, notify: false, reason: `${policy.reason}; not confirmed, no page: ${confirmation.reason}` }, base, channel, deps)), confirmation };
      }
    }
    if (policy.action === 'record' || policy.action === 'coalesced') return record(policy, base, channel, deps);

    if (policy.confirm && !confirmation) {
      confirmation = await confirmOutage(channel, deps, policy.standbyDown ? 'standby' : 'primary');
      if (confirmation.recovered) {
        const reason = `recovered before ${policy.action}: ${confirmation.reason}`;
        await deps.ledger.record(channel.id, { kind: 'recovered-before-failover', message: `${policy.reason}; ${reason}`, incidentId });
        return { ...base, decision: 'ignore', reason, confirmation };
      }
    }
    const action = policy.action;
    const decidedAt = new Date(now()).toISOString();
    const got = await deps.ledger.acquire({ channelId: channel.id, incidentId, action, ttlMs: lockTtlMs(), expectVersion: item.version, ...(takeOver ? { takeOver } : {}) });
    const input = executionInput(signal, incidentId, action, mode, policy);
    const withConfirmation = confirmation ? { confirmation } : {};
    if (got.acquired || (got.reason === 'held by this incident' && !got.item.executionArn)) {
      const started = await start(input, deps, channel, got.acquired);
      if (!started) {
        return record({ ...policy, action: 'coalesced', reason: `incident ${incidentId} already ran (execution closed)` }, base, channel, deps);
      }
      if (got.acquired) deps.observer?.started?.(action, channel.id, mode);
      // An action the policy also pages for (the standby on air is down): the page goes out as it starts.
      if (got.acquired && policy.notify && deps.notify) {
        await deps.notify({ channelId: channel.id, incidentId, subject: policy.pageSubject ?? `PAGE flatline ${channel.id}: ${action} started`, message: `${policy.reason}\n\n${JSON.stringify(signal, null, 2)}` });
      }
      // Who asked and why, on the channel's ledger next to the incident (the notification carries it too).
      const requested = requestedBy(signal);
      if (requested && got.acquired) await deps.ledger.record(channel.id, { kind: signal.kind, message: requested, incidentId });
      deps.observer?.info?.(`${action} started`, { channelId: channel.id, incidentId, executionArn: started, mode });
      const reason = confirmation ? `${policy.reason}; confirmed: ${confirmation.reason}` : policy.reason;
      return { ...base, decision: action, reason, executionArn: started, drill: policy.drill, ...withConfirmation, decidedAt };
    }
    if (got.reason === 'held by this incident' || lockHeld(got.item, now())) {
      const duplicate = got.reason === 'held by this incident';
      const reason = `${policy.reason}; ${duplicate ? `duplicate of incident ${incidentId}` : got.reason}`;
      // A duplicate is already on the ledger under its own incident; another incident's signal is worth a line.
      if (!duplicate) await deps.ledger.record(channel.id, { kind: 'coalesced', message: reason, incidentId });
      return {
        ...base,
        decision: 'coalesced',
        reason,
        ...(got.item.executionArn ? { executionArn: got.item.executionArn } : {}),
        ...withConfirmation,
      };
    }
  }
  return record({ ...decisionOf('coalesced'), reason: 'the ledger kept changing while deciding: left to the incident in progress' }, base, channel, deps);
}

function decisionOf(action: PolicyDecision['action']): PolicyDecision {
  return { action, reason: '', confirm: false, degraded: false, drill: false, notify: false };
}

/** Pipeline alerts of the primary MediaLive channel: tracked per pipeline so that "both down" can be seen. */
async function trackAlerts(signal: Signal, ledger: Ledger): Promise<PipelineAlerts | undefined> {
  if (signal.side !== 'primary') return undefined;
  const alarmId = signal.detail?.alarmId;
  if ((signal.kind === 'pipeline-alert' || signal.kind === 'pipeline-clear') && signal.pipeline && typeof alarmId === 'string') {
    return ledger.setPipelineAlert(signal.channelId, signal.pipeline, alarmId, signal.kind === 'pipeline-alert');
  }
  // Alert ids reset when a channel (re)starts: stale ids must not make a later single alert look like two.
  if (signal.kind === 'channel-state' && (signal.detail?.state === 'IDLE' || signal.detail?.state === 'STARTING')) {
    await ledger.clearPipelineAlerts(signal.channelId);
  }
  return undefined;
}

async function record(
  policy: PolicyDecision,
  base: { signal: Signal; mode: Mode; incidentId: string },
  channel: Channel,
  deps: TriageDeps,
): Promise<TriageDecision> {
  const { signal, incidentId } = base;
  const kind = policy.action === 'coalesced' ? 'coalesced' : signal.kind;
  // A duplicate (same underlying fact => same incident id) is already on the ledger: the conditional write
  // refuses it, and it never pages or counts twice.
  const written = await deps.ledger.record(channel.id, { kind, message: policy.reason, incidentId });
  if (!written) {
    return { ...base, decision: policy.action === 'coalesced' ? 'coalesced' : 'record', reason: `${policy.reason} (duplicate, already on the ledger)`, drill: policy.drill };
  }
  if (policy.degraded) deps.observer?.degraded?.(signal, policy.reason);
  if (policy.recheck && deps.scheduleRecheck) {
    // Idempotent per transition (the execution name); a failure leaves the probe's reminders, and is said.
    await deps.scheduleRecheck({ channelId: channel.id, ...policy.recheck, reason: policy.reason }).catch((err: unknown) =>
      deps.observer?.info?.('scheduling the re-check at the end of the dwell failed: the probe reminders remain', { channelId: channel.id, error: String(err) }),
    );
  }
  // pageOnce: a page that must not repeat for every re-announcement of the same situation.
  const pageDue = policy.notify && (!policy.pageOnce || (await deps.ledger.record(channel.id, { kind: 'paged', message: policy.pageSubject ?? policy.reason, incidentId: policy.pageOnce })));
  if (pageDue && deps.notify) {
    await deps.notify({
      channelId: channel.id,
      incidentId,
      subject: policy.pageSubject ?? `flatline ${channel.id}: ${signal.kind} on the standby while it is on air`,
      message: `${withRequester(policy.reason, signal)}\n\n${JSON.stringify(signal, null, 2)}`,
    });
  }
  return { ...base, decision: policy.action === 'coalesced' ? 'coalesced' : 'record', reason: policy.reason, drill: policy.drill };
}

/**
 * StartExecution + attachExecution. Returns the execution ARN, or null when an execution of that name
 * already closed (ExecutionAlreadyExists: a redelivery after the incident ran); then the lock this call
 * took is released again without a transition.
 */
async function start(input: ExecutionInput, deps: TriageDeps, channel: Channel, tookLock: boolean): Promise<string | null> {
  const stateMachineArn = input.action === 'failover' ? deps.stateMachines.failover : deps.stateMachines.failback;
  try {
    const out = await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: executionName(channel.id, input.incidentId), input: JSON.stringify(input) }),
    );
    const arn = out.executionArn as string;
    await deps.ledger.attachExecution(channel.id, input.incidentId, arn);
    return arn;
  } catch (err) {
    if ((err as { name?: string }).name !== 'ExecutionAlreadyExists') {
      await startFailed(err, input, deps, channel);
      throw err;
    }
    if (tookLock) {
      const onAir = (await deps.ledger.get(channel.id)).onAir;
      await deps.ledger.complete({ channelId: channel.id, incidentId: input.incidentId, outcome: 'failed', onAir });
    }
    return null;
  }
}

/**
 * StartExecution failed (throttling past the SDK's retries, an input too large, a bug): no execution will
 * ever release the lock, so release it now (outcome failed, on air unchanged) and page once per incident.
 * The caller rethrows: Lambda's async retries start it again, and the dead-letter queue keeps the event.
 */
async function startFailed(err: unknown, input: ExecutionInput, deps: TriageDeps, channel: Channel): Promise<void> {
  const why = `${(err as Error).name ?? 'Error'}: ${(err as Error).message ?? String(err)}`;
  try {
    const onAir = (await deps.ledger.get(channel.id)).onAir;
    await deps.ledger.complete({ channelId: channel.id, incidentId: input.incidentId, outcome: 'failed', onAir });
    const message = `${input.action} could not start (StartExecution failed: ${why}); the lock is released, nothing was changed`;
    const first = await deps.ledger.record(channel.id, { kind: 'start-failed', message, incidentId: input.incidentId });
    if (first && deps.notify) {
      await deps.notify({
        channelId: channel.id,
        incidentId: input.incidentId,
        subject: `PAGE flatline ${channel.id}: ${input.action} could not start`,
        message: `${withRequester(message, input.signal)}\n\nThe event is retried, then kept in the dead-letter queue. Reason: ${input.reason}`,
      });
    }
  } catch (cleanup) {
    deps.observer?.info?.('releasing the lock after a failed StartExecution failed too', { channelId: channel.id, incidentId: input.incidentId, error: String(cleanup) });
  }
}

/** The lock's execution is no longer RUNNING. Unknown (DescribeExecution failed) counts as running: join it. */
async function executionEnded(executionArn: string, deps: TriageDeps): Promise<boolean> {
  try {
    const out = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status !== undefined && out.status !== 'RUNNING';
  } catch (err) {
    deps.observer?.info?.('DescribeExecution failed: the incident holding the lock is joined', { executionArn, error: String(err) });
    return false;
  }
}

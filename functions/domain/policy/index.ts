// The failover policy: a pure function of (signal, channel config, ledger item, time). No I/O: triage
// applies the decision (ledger writes, confirmation, StartExecution) and the effects it asks for.
//
// Rules:
// - Events about the STANDBY side never fail over. An outage of the standby while it is on air (channel down,
//   ManifestAge alarm, manifest stale at the standby origin and the edge) fails back at once, with standbyDown:
//   the failback puts the slate on when the primary is not fresh either; paged. Other standby trouble while
//   it is on air is recorded and paged. The edge is judged against the origin of the side on air.
// - One pipeline alerting on a STANDARD channel is `degraded` (MediaLive's second pipeline covers it):
//   recorded and metered. SINGLE_PIPELINE pipeline down, both pipelines alerting, a stopped/RECOVERING
//   channel with no running pipeline, stale edge AND stale primary, a stale primary (on air) behind an edge
//   that still counts as fresh but whose latest reading is past the threshold with no media newer than the
//   frozen origin (it serves the origin's last playlist from its cache), a stale primary (on air) that does not
//   answer at all (unreachable: the edge pays its origin timeout on every miss), a ManifestAge alarm on primary/edge:
//   outage candidates => failover after confirmation.
// - A stale edge in front of a fresh primary is a caching problem: recorded, no failover.
// - Hysteresis: no automatic failover/failback while another incident holds the lock (coalesced) or within
//   minDwellSeconds of lastTransitionAt (which also forbids ping-pong: no failback right after a failover).
// - Automatic failback only when policy.failback = automatic, once the primary has been fresh for minDwellSeconds.
//   On the slate (nothing healthy was left) a fresh primary is paged, and failed back to at once when automatic:
//   the slate is not a source, so no dwell holds it there. A fresh standby is failed over to at once, paged.
// - Operator failover requests and drills are forced: no confirmation, no dwell, but still subject to the lock;
//   ignored while the standby is on air.
//   An operator failback respects the dwell unless its detail says force: true.
// - An outage of the side on air within the dwell is recorded and paged at once (once per dwell), and handed
//   back to triage when the dwell ends (recheck: an Outage Recheck event, confirmed afresh like any outage);
//   the probe's reminders of a primary that stays stale come on top.
// - Late events: an event whose time is older than maxEventAgeMs (default 5 min) is evidence, not news. An
//   outage candidate is confirmed afresh (as every automatic one is) before anything starts; an operator
//   request is recorded and not acted on (send it again); a late "fresh" never starts the failback clock
//   in the past (triage counts the primary fresh from now).
import type { LedgerItem, Signal } from '../contracts.js';
import { lockHeld } from '../ledger/rules.js';
import type { Channel } from '../registry/index.js';
import { unreachableReadings } from './unreachable.js';

export type PolicyAction = 'ignore' | 'record' | 'failover' | 'failback' | 'coalesced';

export interface PolicyInput {
  signal: Signal;
  channel: Channel;
  item: LedgerItem;
  now: number;
  /** The incident this signal maps to (a lock held by the same incident is not a reason to coalesce). */
  incidentId: string;
  /** Alert ids currently SET per pipeline of the primary MediaLive channel, this signal included. */
  primaryAlerts?: Partial<Record<'0' | '1', readonly string[]>>;
  /** Older events are evidence, never acted on as new (default DEFAULT_MAX_EVENT_AGE_MS). */
  maxEventAgeMs?: number;
}

/** How old an event may be and still be acted on as news (EventBridge can deliver hours late). */
export const DEFAULT_MAX_EVENT_AGE_MS = 5 * 60_000;

/** How much older than the bound the signal's time is (0 when it is recent enough, or has no valid time). */
export function lateByMs(signal: Signal, now: number, maxEventAgeMs = DEFAULT_MAX_EVENT_AGE_MS): number {
  const at = Date.parse(signal.at);
  return Number.isNaN(at) ? 0 : Math.max(0, now - at - maxEventAgeMs);
}

export interface PolicyDecision {
  action: PolicyAction;
  reason: string;
  /** Confirm with DescribeChannel + a fresh manifest fetch before starting (best-effort events); of the standby when standbyDown. */
  confirm: boolean;
  /** Meter as Degraded (one pipeline down, caching problem, standby trouble...). */
  degraded: boolean;
  drill: boolean;
  /** Page someone even though nothing is started (the standby fails while it is on air). */
  notify: boolean;
  /** How the primary's freshness changes: set => markPrimaryFresh(since), clear => markPrimaryFresh(null). */
  primaryFresh?: 'set' | 'clear';
  /** The page's subject, when notify. */
  pageSubject?: string;
  /** A failback because the standby on air is down: the slate goes on when the primary is not fresh either. */
  standbyDown?: boolean;
  /** Page at most once per key (an outage within one dwell pages once, however often it is re-announced). */
  pageOnce?: string;
  /** An outage held back by the dwell: hand it back to triage when the dwell ends (epoch ms), once per transition. */
  recheck?: { at: number; lastTransitionAt: number };
  /** The standby must be fresh by the execution's start + this, instead of policy.standbyReadySeconds. */
  standbyReadySeconds?: number;
}

/**
 * Leaving the slate for a standby just seen fresh: it gets this long to be seen fresh again, not the minutes a
 * standby being started gets. A standby that flapped leaves the slate on quickly, and the lock free for the
 * primary's return (a failover holding it would coalesce that news, which nothing re-announces).
 */
export const SLATE_EXIT_STANDBY_READY_SECONDS = 30;

/** A text field of the signal's detail (an operator's reason, a MediaLive alert type), when it is one. */
const detailText = (signal: Signal, key: string): string | undefined => {
  const value = signal.detail?.[key];
  return typeof value === 'string' ? value : undefined;
};

const base = { confirm: false, degraded: false, drill: false, notify: false } as const;
const decide = (action: PolicyAction, reason: string, extra: Partial<PolicyDecision> = {}): PolicyDecision => ({
  ...base,
  action,
  reason,
  ...extra,
});

/** What the signal says about the primary's health: it is fresh again, it failed, or nothing. */
export function primaryFreshness(signal: Signal): 'set' | 'clear' | undefined {
  const path = signal.detail?.path;
  if (signal.side !== 'primary' && path !== 'primary') return undefined;
  if (signal.kind === 'manifest-fresh' || signal.kind === 'alarm-ok') return 'set';
  if (signal.kind === 'manifest-stale' || signal.kind === 'alarm' || (signal.kind === 'channel-state' && signal.severity === 'outage')) return 'clear';
  return undefined;
}

export function evaluate(input: PolicyInput): PolicyDecision {
  const classified = classify(input);
  // A reminder (the probe re-announcing a state that did not change) is only news when it leads to an action
  // or a page: recording each one would bury the ledger's history under copies.
  const decision =
    input.signal.detail?.reminder === true && classified.action === 'record' && !classified.notify
      ? { ...classified, action: 'ignore' as const, reason: `reminder, nothing new: ${classified.reason}` }
      : classified;
  const fresh = primaryFreshness(input.signal);
  const withFresh = fresh ? { ...decision, primaryFresh: fresh } : decision;
  if ((withFresh.action === 'failover' || withFresh.action === 'failback') && heldByAnother(input)) {
    return {
      ...withFresh,
      action: 'coalesced',
      confirm: false,
      reason: `${withFresh.reason}; coalesced into incident ${input.item.incidentId} (${input.item.phase}, lock until ${new Date(input.item.lockExpiresAt ?? 0).toISOString()})`,
    };
  }
  return withFresh;
}

function heldByAnother({ item, now, incidentId }: PolicyInput): boolean {
  return lockHeld(item, now) && item.incidentId !== incidentId;
}

/** ms left in the dwell after the last transition (0 when none or over). */
export function dwellRemainingMs(item: LedgerItem, channel: Channel, now: number): number {
  if (item.lastTransitionAt === undefined) return 0;
  return Math.max(0, item.lastTransitionAt + channel.policy.minDwellSeconds * 1000 - now);
}

function classify(input: PolicyInput): PolicyDecision {
  const { signal, channel, item, now } = input;
  const onPrimary = item.onAir === 'primary';
  const late = lateByMs(signal, now, input.maxEventAgeMs) > 0;
  const age = `${Math.round((now - Date.parse(signal.at)) / 1000)} s old`;

  // An operator's request is acted on only while it is news: an old one may no longer be what anyone wants.
  if (late && (signal.kind === 'failover-requested' || signal.kind === 'drill-requested' || signal.kind === 'failback-requested')) {
    return decide('record', `${signal.kind} from ${signal.at} is ${age}, older than the bound: recorded, not acted on (send it again)`, {
      drill: signal.kind === 'drill-requested',
    });
  }

  // Operator and drill requests: forced (no confirmation, no dwell), still subject to the lock.
  if (signal.kind === 'failover-requested' || signal.kind === 'drill-requested') {
    const drill = signal.kind === 'drill-requested';
    // The slate is not a source: an operator may send viewers from it to the standby (the failover checks it first).
    if (item.onAir === 'standby') return decide('ignore', `${signal.kind}: already on ${item.onAir}`, { drill });
    return decide('failover', `${drill ? 'drill' : 'operator'} requested: ${detailText(signal, 'reason') ?? signal.kind}`, { drill });
  }
  if (signal.kind === 'failback-requested') {
    if (onPrimary && item.phase === 'steady') return decide('ignore', 'failback requested: already on primary');
    const dwell = dwellRemainingMs(item, channel, now);
    if (dwell > 0 && signal.detail?.force !== true) {
      return decide('record', `failback requested within the dwell of the last transition (${Math.ceil(dwell / 1000)} s left): not acted on; send it again after the dwell, or with force: true`);
    }
    return decide('failback', `operator requested failback${dwell > 0 ? ' (force: within the dwell)' : ''}: ${detailText(signal, 'reason') ?? ''}`.trimEnd());
  }

  // An outage of the side viewers are on is acted on, whichever side that is.
  if (item.onAir === 'standby') {
    const down = standbyOutage(input);
    if (down) return onStandbyOutage(input, down, late ? age : undefined);
  }

  // On the slate, a standby fresh again is a source to leave the slate for.
  if (item.onAir === 'slate' && item.phase === 'on-standby' && signal.side === 'standby' && freshNews(input)) return leaveSlateForStandby(input);

  // The standby side never fails over; other trouble with it while it carries the viewers deserves a page.
  if (signal.side === 'standby') {
    if (signal.severity === 'info') return decide('record', `standby: ${signal.kind}`);
    if (!onPrimary) {
      return decide('record', `standby ${signal.kind} while the standby is on air: slate consideration, paging`, { degraded: true, notify: true });
    }
    return decide('record', `standby ${signal.kind}: the standby side never triggers a failover`, { degraded: true });
  }

  // From here: the primary side or the edge.
  if (signal.kind === 'manifest-fresh' || signal.kind === 'alarm-ok') return considerFailback(input);
  if (signal.kind === 'alarm-insufficient-data') return decide('ignore', 'alarm has insufficient data');

  const outage = outageReason(input);
  if (!outage.outage) return decide('record', outage.reason, { degraded: signal.severity !== 'info' });
  if (!onPrimary) return decide('record', `${outage.reason}; already on ${item.onAir}: nothing to fail over`);
  const dwell = dwellRemainingMs(item, channel, now);
  if (dwell > 0) {
    // The dwell stops ping-pong, never a real outage: page now (once per dwell), and have it evaluated again
    // the moment the dwell ends (a scheduled re-check; the probe's reminders of a stale primary come on top).
    const lastTransitionAt = item.lastTransitionAt ?? now;
    return decide('record', `${outage.reason}; within the dwell of the last transition (${Math.ceil(dwell / 1000)} s left): paging, failover once the dwell is over if it lasts`, {
      degraded: true,
      notify: true,
      pageSubject: `PAGE flatline ${channel.id}: outage within the dwell of the last transition, failover in ${Math.ceil(dwell / 1000)} s if it lasts`,
      pageOnce: `outage-in-dwell-${item.lastTransitionAt ?? 0}`,
      recheck: { at: lastTransitionAt + channel.policy.minDwellSeconds * 1000, lastTransitionAt },
      // Confirmed before the page: a late or duplicated event must not wake someone for a primary that is fine.
      confirm: true,
    });
  }
  // Always confirmed before anything starts; a late event says so.
  return decide('failover', late ? `${outage.reason} (event ${age}: confirmed afresh)` : outage.reason, { confirm: true });
}

function outageReason({ signal, channel, item, primaryAlerts }: PolicyInput): { outage: boolean; reason: string } {
  switch (signal.kind) {
    case 'pipeline-alert': {
      const alert = `pipeline ${signal.pipeline ?? '?'} alert "${detailText(signal, 'alertType') ?? ''}"`;
      if (channel.primary.channelClass === 'SINGLE_PIPELINE') return { outage: true, reason: `${alert} on a SINGLE_PIPELINE channel` };
      const down = (['0', '1'] as const).filter((p) => (primaryAlerts?.[p]?.length ?? 0) > 0 || p === signal.pipeline);
      if (down.length === 2) return { outage: true, reason: `both pipelines alerting (${alert})` };
      return { outage: false, reason: `${alert}: degraded, the other pipeline still carries the channel` };
    }
    case 'channel-state': {
      const state = `channel ${String(signal.detail?.state)} with ${String(signal.detail?.pipelinesRunningCount)} pipelines running`;
      return signal.severity === 'outage' ? { outage: true, reason: state } : { outage: false, reason: state };
    }
    case 'alarm':
      return { outage: true, reason: `ManifestAge alarm on the ${String(signal.detail?.path)} path` };
    case 'outage-recheck':
      return { outage: true, reason: `the dwell is over: re-checking the outage recorded within it (${String(signal.detail?.reason)})` };
    case 'manifest-stale': {
      const path = String(signal.detail?.path);
      // The edge against the origin viewers are on (the probe's severity compares it with the primary).
      if (path === 'edge' && item.onAir === 'standby') {
        return pathState(signal, 'standby') === 'fresh'
          ? { outage: false, reason: 'edge stale while the standby origin (on air) is fresh: CDN caching problem, not an origin outage' }
          : { outage: true, reason: 'manifest stale at the edge and at the standby origin (on air)' };
      }
      if (signal.severity === 'outage') return { outage: true, reason: `manifest stale on the ${path} path, edge and primary stale` };
      if (path === 'edge') return { outage: false, reason: 'edge stale while the primary origin is fresh: CDN caching problem, not an origin outage' };
      if (path === 'primary' && item.onAir === 'primary') return primaryUnreachable(signal) ?? frozenBehindEdge(signal);
      return { outage: false, reason: 'primary origin stale while the edge is still fresh: watching' };
    }
    default:
      return { outage: false, reason: `${signal.kind} (${signal.severity})` };
  }
}

/**
 * The primary origin (on air) is stale because it does not answer: no playlist came back (timeout, connection
 * failure, HTTP error). An outage at once, without waiting for the edge to look stale: an edge in front of an
 * unreachable origin waits for it until its origin timeout on every cache miss (playlists and segments) before
 * its origin group falls back, and CloudFront sends every request to the primary first, even after a previous
 * one failed over (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html),
 * so viewers stall while the edge still looks fresh to the probe.
 * A false positive would be the probe's own network to the origin broken while CloudFront's is fine: the
 * failover is confirmed first (confirm: DescribeChannel and triage's own fresh fetch of the primary manifest),
 * and triage's fetch, from another place than the probe, is the second observer: a primary it reads fresh
 * (with the channel running) cancels the failover.
 */
function primaryUnreachable(signal: Signal): { outage: boolean; reason: string } | undefined {
  const failed = unreachableReadings(signal);
  if (failed === undefined) return undefined;
  return {
    outage: true,
    reason: `primary origin unreachable: no playlist came back (${failed}); an edge in front of it waits for it until its origin timeout on every cache miss, so no waiting for the edge`,
  };
}

/**
 * Edge ends newer than the primary origin's by at most this much still count as "nothing newer". 0: the edge's
 * copy is the origin's own playlist text, so the same media carries the same wall clock (PDT / DASH timeline)
 * on both paths; anything newer at the edge did not come from the frozen origin.
 */
export const EDGE_NEWER_TOLERANCE_MS = 0;

/**
 * The primary origin is confirmed stale and the edge still looks fresh. The edge may be fine (fed from
 * elsewhere, or the probe reads the origin wrongly), or it may just serve the primary's last playlist from
 * its cache until its TTL runs out and it confirms its own stale reading. It is the latter when its latest
 * reading is already past the threshold and has no media newer than the frozen origin's newest: an outage,
 * confirmed (DescribeChannel + a fresh fetch of the primary) before anything starts, rather than a cache TTL
 * and more spent waiting for the edge's own stale transition.
 * The edge's reading must itself be past the threshold: an edge that is fine is, by definition, read within
 * it, and one read a little before the origin froze (it is fetched about once a target duration) may well
 * show nothing newer than the origin's last media while being fed from elsewhere.
 */
function frozenBehindEdge(signal: Signal): { outage: boolean; reason: string } {
  const edge = pathView(signal, 'edge');
  const origin = pathView(signal, 'primary');
  const watching = 'primary origin stale while the edge is still fresh: watching';
  if (edge.liveEdgeAt === undefined || origin.liveEdgeAt === undefined) {
    const unknown = [edge.liveEdgeAt === undefined ? 'the edge' : '', origin.liveEdgeAt === undefined ? 'the primary origin' : ''].filter(Boolean).join(' and ');
    return { outage: false, reason: `${watching}: the newest media end of ${unknown} is not known (no wall clock in a playlist, a failed fetch, or a probe that does not send it), so the edge cannot be compared with the origin` };
  }
  const times = `edge newest media ends ${new Date(edge.liveEdgeAt).toISOString()}, origin ${new Date(origin.liveEdgeAt).toISOString()}`;
  if (edge.liveEdgeAt > origin.liveEdgeAt + EDGE_NEWER_TOLERANCE_MS) {
    return { outage: false, reason: `${watching}: the edge has newer media than the primary origin (${times}), so it is not just serving the frozen origin's last playlist` };
  }
  const thresholdMs = signal.detail?.thresholdMs;
  if (edge.ageMs === undefined || typeof thresholdMs !== 'number' || edge.ageMs <= thresholdMs) {
    const age = edge.ageMs === undefined ? 'of unknown age' : `${edge.ageMs} ms old`;
    return { outage: false, reason: `${watching}: the edge's latest reading (${age}, ${times}) is not past the ${String(thresholdMs)} ms threshold: too early to tell a cache of the frozen origin from an edge fed elsewhere` };
  }
  return {
    outage: true,
    reason: `primary origin stale and the edge has nothing newer than the frozen primary origin (${times}; its latest reading ${edge.ageMs} ms old, past the ${thresholdMs} ms threshold): it freezes within its cache TTL`,
  };
}

/** A path's live edge (epoch ms) and age as the probe saw them, when the probe knew them. */
const pathView = (signal: Signal, path: 'edge' | 'primary'): { liveEdgeAt?: number; ageMs?: number } => {
  const paths = signal.detail?.paths as Partial<Record<string, { liveEdgeAt?: unknown; ageMs?: unknown }>> | undefined;
  const view = paths?.[path];
  const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
  const liveEdgeAt = num(view?.liveEdgeAt);
  const ageMs = num(view?.ageMs);
  return { ...(liveEdgeAt === undefined ? {} : { liveEdgeAt }), ...(ageMs === undefined ? {} : { ageMs }) };
};

/** The probe's view of one path carried by a manifest signal ('unknown' when the probe does not know it). */
const pathState = (signal: Signal, path: 'edge' | 'primary' | 'standby'): string => {
  const paths = signal.detail?.paths as Partial<Record<string, { state?: unknown }>> | undefined;
  const state = paths?.[path]?.state;
  return typeof state === 'string' ? state : 'unknown';
};

/**
 * Why the standby, on air, is down (viewers freeze), or undefined. The edge is compared with the STANDBY
 * origin here: a stale edge in front of a fresh standby is caching, in front of a stale standby an outage.
 * A single standby pipeline alert is not enough (MediaLive's second pipeline covers it; the standby's alerts
 * are not tracked per pipeline): the probe sees the manifest stop at the standby origin and the edge.
 */
function standbyOutage({ signal }: PolicyInput): string | undefined {
  const path = signal.detail?.path;
  if (signal.side === 'standby') {
    if (signal.kind === 'channel-state' && signal.severity === 'outage') {
      return `standby channel ${String(signal.detail?.state)} with ${String(signal.detail?.pipelinesRunningCount)} pipelines running`;
    }
    if (signal.kind === 'alarm') return 'ManifestAge alarm on the standby path';
    if (signal.kind === 'manifest-stale' && pathState(signal, 'edge') !== 'fresh') return 'manifest stale at the standby origin and at the edge';
    return undefined;
  }
  if (signal.side === undefined && path === 'edge') {
    if (signal.kind === 'alarm') return 'ManifestAge alarm on the edge path while the standby is on air';
    if (signal.kind === 'manifest-stale' && pathState(signal, 'standby') !== 'fresh') return 'manifest stale at the edge and at the standby origin';
  }
  return undefined;
}

/**
 * The standby on air is down: fail back, once triage has confirmed the standby is down now (an alarm raised by
 * the primary's outage may arrive after the failover). The failback's own primary-freshness check guards it, and with
 * standbyDown it puts the slate on instead of refusing when the primary is not fresh either (nothing
 * healthy is left). Neither the dwell (it stops ping-pong, never a real outage) nor the failback policy
 * (manual means "no automatic return to a healthy primary", not "stay on a dead standby") holds it back.
 */
function onStandbyOutage({ channel, item }: PolicyInput, down: string, lateAge: string | undefined): PolicyDecision {
  if (lateAge !== undefined) {
    // The standby may well be back: a late event is evidence; the probe re-announces a standby that stays stale.
    return decide('record', `standby outage on air (${down}), but the event is ${lateAge}: recorded, not acted on`, { degraded: true });
  }
  const primary = item.primaryFreshSince === undefined ? 'the primary not seen fresh: the slate if it still is not' : 'the primary fresh';
  return decide('failback', `standby outage while it is on air: ${down}; failing back (${primary})`, {
    confirm: true,
    degraded: true,
    notify: true,
    standbyDown: true,
    pageSubject: `PAGE flatline ${channel.id}: the standby on air is down, failing back to the primary (or the slate)`,
  });
}

function considerFailback(input: PolicyInput): PolicyDecision {
  const { signal, channel, item, now, maxEventAgeMs } = input;
  const what = `primary fresh (${signal.kind})`;
  if (item.onAir === 'primary') return decide('record', what);
  // Only news about the primary itself: the edge may well serve the slate fresh.
  const primaryBack = primaryFreshness(signal) === 'set' && lateByMs(signal, now, maxEventAgeMs) === 0;
  if (item.onAir === 'slate' && item.phase === 'on-standby' && primaryBack) return leaveSlate(input, what);
  if (channel.policy.failback !== 'automatic') return decide('record', `${what}; failback is manual for this channel`);
  if (item.phase !== 'on-standby') return decide('record', `${what}; phase ${item.phase}: no automatic failback`);
  const dwellMs = channel.policy.minDwellSeconds * 1000;
  // A late event says the primary was fresh back then, not that it has been since.
  const seenAt = lateByMs(signal, now, maxEventAgeMs) > 0 ? now : Date.parse(signal.at);
  const since = Math.min(item.primaryFreshSince ?? seenAt, now);
  const freshFor = now - since;
  if (freshFor < dwellMs) return decide('record', `${what} for ${Math.floor(freshFor / 1000)} s; automatic failback after ${channel.policy.minDwellSeconds} s`);
  const dwell = dwellRemainingMs(item, channel, now);
  if (dwell > 0) return decide('record', `${what}; within the dwell of the last failover (${Math.ceil(dwell / 1000)} s left): no ping-pong`);
  return decide('failback', `primary fresh for ${Math.floor(freshFor / 1000)} s: automatic failback`);
}

/** News that the signal's side is fresh now: a fresh manifest or an alarm back to OK, not a late event. */
function freshNews({ signal, now, maxEventAgeMs }: PolicyInput): boolean {
  return (signal.kind === 'manifest-fresh' || signal.kind === 'alarm-ok') && lateByMs(signal, now, maxEventAgeMs) === 0;
}

/**
 * Viewers are on the slate (nothing healthy was left) and the standby is fresh again. The slate is not a source:
 * no dwell and no failback policy holds viewers on it. The failover checks the standby is fresh before it routes
 * to it (its first look), within SLATE_EXIT_STANDBY_READY_SECONDS, and switches the slate off with the route; paged.
 */
function leaveSlateForStandby({ channel, signal }: PolicyInput): PolicyDecision {
  return decide('failover', `standby fresh again (${signal.kind}); on the slate: failing over to the standby (no dwell to leave the slate)`, {
    notify: true,
    standbyReadySeconds: SLATE_EXIT_STANDBY_READY_SECONDS,
    pageSubject: `PAGE flatline ${channel.id}: standby fresh again; on the slate; failing over to it`,
  });
}

/**
 * Viewers are on the slate (nothing healthy was left) and the primary is fresh again. The slate is not a source:
 * there is nothing to ping-pong with, so neither freshness for minDwellSeconds nor the dwell holds an automatic
 * failback back; the failback confirms the primary is fresh before it routes to it (CheckPrimaryFresh) and
 * switches the slate off. Paged either way, once per incident when an operator has to act.
 */
function leaveSlate({ channel, item }: PolicyInput, what: string): PolicyDecision {
  const page = `PAGE flatline ${channel.id}: primary fresh again; on the slate;`;
  if (channel.policy.failback !== 'automatic') {
    return decide('record', `${what}; on the slate, failback is manual for this channel: paging`, {
      notify: true,
      pageSubject: `${page} failback needs an operator`,
      pageOnce: `primary-fresh-on-slate-${item.incidentId ?? item.lastTransitionAt ?? 0}`,
    });
  }
  return decide('failback', `${what}; on the slate: automatic failback (no dwell to leave the slate)`, {
    notify: true,
    pageSubject: `${page} failback automatic`,
  });
}

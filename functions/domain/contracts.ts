// The contracts between the parts. Producers and consumers import these types; changing
// one is changing a wire format, so keep them small and documented.
import type { Route } from './routing-keys.js';

export type Severity = 'info' | 'degraded' | 'outage';
export type ProbePath = 'edge' | 'primary' | 'standby';

/** What triage makes of any event. */
export interface Signal {
  channelId: string;
  /** e.g. manifest-stale, manifest-fresh, alarm, alarm-ok, pipeline-alert, pipeline-clear, channel-state, input-change, failover-requested, failback-requested, drill-requested */
  kind: string;
  pipeline?: '0' | '1';
  severity: Severity;
  /** ISO 8601 time of the underlying observation. */
  at: string;
  /** Same underlying fact => same key, so duplicates coalesce. */
  dedupeKey: string;
  /** EventBridge source, e.g. aws.medialive, aws.cloudwatch, flatline.probe, flatline.ops */
  source: string;
  /** Which side of the channel the event is about, when it is about a MediaLive channel or an origin. */
  side?: 'primary' | 'standby';
  detail?: Record<string, unknown>;
}

export type OnAir = 'primary' | 'standby' | 'slate';
export type Phase = 'steady' | 'failing-over' | 'on-standby' | 'failing-back';

/** The state of the routing before a failover began: what a rollback reconciles back to. */
export interface RoutingSnapshot {
  /** The exact KVS edge:<id> value (routing-keys.ts), or null when the key was absent: what a rollback puts back. */
  edge: string | null;
  /** The route that value holds, or null when the key was absent (= primary). */
  route: Route | null;
  /** That value has the slate on. */
  slate: boolean;
  /** Origin ids of the origin group's members, in order (first = primary); null for a channel with no origin group. */
  originOrder: [string, string] | null;
  /** MediaLive state of the standby channel when the snapshot was taken. */
  standbyState: string;
  takenAt: string;
}

export interface LedgerEntry {
  at: string;
  kind: string;
  incidentId?: string;
  message: string;
}

/** The ledger item, one per channel (DynamoDB key channelId). */
export interface LedgerItem {
  channelId: string;
  onAir: OnAir;
  phase: Phase;
  incidentId?: string;
  executionArn?: string;
  /** Epoch ms; the lock is held while phase is failing-over/failing-back and now < lockExpiresAt. */
  lockExpiresAt?: number;
  /** Epoch ms of the last completed failover or failback (hysteresis: minDwellSeconds). */
  lastTransitionAt?: number;
  /** Epoch ms since when the primary has been seen fresh (automatic failback). */
  primaryFreshSince?: number;
  version: number;
  snapshot?: RoutingSnapshot;
  /** The most recent entries, newest last, capped. */
  recent: LedgerEntry[];
}

export type ExecutionAction = 'failover' | 'failback';
export type Mode = 'live' | 'plan';

/** Input of both state machines. The execution name is derived from channelId + incidentId. */
export interface ExecutionInput {
  incidentId: string;
  channelId: string;
  action: ExecutionAction;
  /** What triggered it, e.g. "failover-requested (outage)". An operator's own words are in signal.detail.reason (once). */
  reason: string;
  mode: Mode;
  requestedAt: string;
  /** The triggering signal; its free text is bounded by the event schemas (functions/domain/triage/schemas.ts). */
  signal: Signal;
  /** A drill: the operator broke the channel on purpose. */
  drill?: boolean;
  /** A failback because the standby on air is down: when the primary is not fresh either, the slate goes on. */
  standbyDown?: boolean;
  /** Optional overrides of the state machines' waits (defaults in the ASL's ResolveTiming state), e.g. for drills. */
  timing?: ExecutionTiming;
}

export interface ExecutionTiming {
  /** Seconds between polls of the standby state / freshness and of the edge (default 5). */
  pollSeconds?: number;
  /** How many times the edge is checked after a repoint before giving up (default 12). */
  edgeVerifyAttempts?: number;
  /** Overrides policy.standbyReadySeconds: the standby must be fresh by the execution's start + this. */
  standbyReadySeconds?: number;
}

/** One change a step made, or would make in plan mode. */
export interface Change {
  resource: string;
  from: unknown;
  to: unknown;
  applied: boolean;
}

/** What every step returns: what it observed, and the changes it made (or, in plan mode, would make). */
export interface StepReport<O = Record<string, unknown>> {
  step: string;
  observed: O;
  changes: Change[];
}

/** One path as the probe saw it, on a `Manifest Stale` / `Manifest Fresh` event. */
export interface ProbePathView {
  state: 'stale' | 'fresh' | 'unknown';
  ageMs: number | null;
  /**
   * Epoch ms of the path's live edge by the playlist's own wall clock (EXT-X-PROGRAM-DATE-TIME, the DASH
   * timeline): the newest media of its OLDEST rendition, LL-HLS parts included; ageMs was measured from it.
   * null when a rendition has no wall clock (an age from watching the playlist advance is not comparable
   * across paths); absent in events from older probes. Lets a consumer tell an edge still serving a frozen
   * origin's last playlist from its cache (nothing newer than the origin) from an edge fed from elsewhere.
   */
  liveEdgeAt?: number | null;
}

/** detail of the `Manifest Stale` / `Manifest Fresh` events (source flatline.probe). */
export interface ManifestTransitionDetail {
  channelId: string;
  path: ProbePath;
  state: 'stale' | 'fresh';
  /** Worst rendition age on this path, ms (null when no wall clock could be read). */
  ageMs: number | null;
  thresholdMs: number;
  consecutive: number;
  observedAt: string;
  /** Current view of every path, so a consumer can tell a caching problem from an origin outage. */
  paths: Partial<Record<ProbePath, ProbePathView>>;
  /** e.g. "edge stale while primary origin fresh: CDN caching, not an origin outage" */
  diagnosis: string;
  renditions: Array<{ name: string; url: string; ageMs: number | null; mediaSequence: number | null; status: string; problems: string[] }>;
  /** Not a change: the path is still in this state (re-announced so that triage looks again, e.g. after a dwell). */
  reminder?: boolean;
}

export const PROBE_SOURCE = 'flatline.probe';
export const OPS_SOURCE = 'flatline.ops';
export const MANIFEST_STALE = 'Manifest Stale';
export const MANIFEST_FRESH = 'Manifest Fresh';
/** Triage's own event: an outage it recorded within the dwell, handed back to it once the dwell is over. */
export const TRIAGE_SOURCE = 'flatline.triage';
export const OUTAGE_RECHECK = 'Outage Recheck';

// What the drill runner needs from the AWS sandbox, in its own terms. sandbox/drill/aws-sandbox.ts
// implements it over the embedded AWS sandbox (sandbox/aws); keeping the seam small keeps the runner
// readable and lets a test drive the runner's parts with the real sandbox only.
import type { LedgerItem } from '../../functions/domain/contracts.js';
import type { SimChannel } from '../media/medialive-channel.js';
import type { WorldModel } from '../world-model.js';

export interface DrillEvent {
  id: string;
  source: string;
  detailType: string;
  /** Epoch ms when the bus accepted it. */
  at: number;
  detail: Record<string, unknown>;
}

export interface DrillExecution {
  name: string;
  action: 'failover' | 'failback';
  channelId: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startedAt: number;
  stoppedAt?: number;
  steps: Array<{ name: string; enteredAt: number; exitedAt?: number; error?: string }>;
  error?: string;
}

export interface DrillDecision {
  eventId: string;
  ok: boolean;
  /** Epoch ms triage decided: for a failover or failback, when the decision was final (before StartExecution); else when triage returned. */
  at: number;
  decision?: string;
  reason?: string;
  channelId?: string;
  error?: string;
}

export interface DrillCall {
  service: string;
  operation: string;
  region: string;
  mutating: boolean;
  at: number;
  status: number;
}

export interface DrillFaultSpec {
  service?: 'medialive' | 'cloudfront' | 'cloudfront-keyvaluestore' | 'sns' | 'events' | 'states';
  operation?: string;
  region?: string;
  mutating?: boolean;
  kind: 'throttle' | '5xx' | '412' | 'latency' | 'error' | 'blackhole';
  probability?: number;
  count?: number;
  latencyMs?: number;
  errorCode?: string;
  status?: number;
}

export interface DrillSandbox {
  /** The world model the sandbox plays (latencies, losses, slow transitions). */
  readonly world: WorldModel;
  channel(region: string, channelId: string): SimChannel;
  /** The origin group order as configured (what UpdateDistribution set). */
  originOrder(distributionId: string, originGroupId: string | undefined): readonly [string, string];
  /** The order the edge locations use: the last Deployed config's. */
  deployedOriginOrder(distributionId: string, originGroupId: string | undefined): readonly [string, string];
  /** The group the edge locations use (the last Deployed config's): its order and its failover codes. */
  deployedOriginGroup(distributionId: string, originGroupId: string | undefined): { members: readonly [string, string]; failoverStatusCodes: readonly number[] };
  /** The headers in the cache key of a viewer request for `path`: the deployed behaviour's cache policy's. */
  deployedCacheKeyHeaders(distributionId: string, path: string): readonly string[];
  kvsGet(arn: string, key: string): string | undefined;
  kvsSnapshot(arn: string): Record<string, string>;
  /** Changes how MediaLive's events reach the bus from now on (best effort: delay, loss, duplicates). */
  setMediaLiveEvents(config: { delayS: readonly [number, number]; dropProbability: number; duplicateProbability: number }): void;
  /** MediaLive events published, dropped and duplicated so far. */
  mediaLiveEventStats(): { published: number; dropped: number; duplicated: number };
  onKvsChange(listener: (change: { arn: string; key: string; value: string | undefined }) => void): () => void;
  onOriginGroupChange(listener: () => void): () => void;
  onEvent(listener: (event: DrillEvent) => void): () => void;
  /**
   * Plays the stack's ManifestAge, fleet and probe heartbeat alarms (deploy/alarms.ts) for the registry at this
   * target duration, when the world model plays CloudWatch alarms; their state changes reach the bus as
   * CloudWatch sends them, and their actions page the notify topic.
   */
  startAlarms(targetDurationSeconds: number): void;
  /** A ManifestAge datapoint, as the probe's EMF document carries it (dimensions exactly {Channel, Path}). */
  putManifestAge(channelId: string, path: string, ageMs: number, at: number): void;
  /** A probe tick: a Heartbeat datapoint of every shard (the drill's probe loop covers the whole registry). */
  putHeartbeat(at: number): void;
  /** Puts events on the bus in-process (routed to triage like PutEvents entries). */
  putEvents(events: Array<{ source: string; detailType: string; detail: Record<string, unknown>; resources?: string[]; region?: string; time?: Date }>): void;
  /** Resolves when every event put so far has been delivered. */
  idle(): Promise<void>;
  /**
   * Resolves when flatline's own work in flight has finished: the bus's deliveries (a triage invocation and its
   * retries) and the executions they started. Service events still in their best-effort delay (a MediaLive
   * alert 2-30 s late) are the world's, not in flight: not waited for.
   */
  controlPlaneIdle(): Promise<void>;
  addFault(spec: DrillFaultSpec): void;
  clearFaults(): void;
  calls(): DrillCall[];
  decisions(): DrillDecision[];
  /** Events triage rejected (its on-failure destination). */
  rejected(): number;
  /** The dead-letter queue: each event's id and the reason it carries. */
  deadLetters(): Array<{ eventId: string; reason: string }>;
  notifications(): Array<{ at: number; subject?: string; message: string }>;
  executions(): DrillExecution[];
  ledger(channelId: string): Promise<LedgerItem | null>;
  /** Makes the channel's lock expire now (a no-op when no lock is held). */
  expireLock(channelId: string): Promise<void>;
  stop(): Promise<void>;
}

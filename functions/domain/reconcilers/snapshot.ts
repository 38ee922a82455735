// The routing as it was before an incident changed anything: what a rollback reconciles back to.
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { RoutingSnapshot } from '../contracts.js';
import { edgeKey, edgeStateOf } from '../routing-keys.js';
import { describeChannelState, type ChannelRef, type MediaLiveFor } from './channel.js';
import { parseEdgeValue } from './edge-route.js';
import { readKey } from './kvs.js';
import { readOriginGroup } from './origin-group.js';
import { nowIso, type Mode, type StepReport } from './report.js';

/** The part of the Ledger (functions/domain/ledger) the snapshot needs. */
export interface SnapshotStore {
  saveSnapshot(channelId: string, incidentId: string, snapshot: RoutingSnapshot): Promise<void>;
}

export interface SnapshotRoutingInput {
  channelId: string;
  incidentId: string;
  kvsArn: string;
  distributionId: string;
  /** Absent for a channel routed by the KVS alone (no origin group): the snapshot's originOrder is then null. */
  originGroupId: string | undefined;
  standby: ChannelRef;
  mode: Mode;
  ledger: SnapshotStore;
  kvs: CloudFrontKeyValueStoreClient;
  cloudFront: CloudFrontClient;
  mediaLive: MediaLiveFor;
  now?: () => number;
}

/** Reads the KVS edge value, the origin-group order and the standby state (in parallel); saves the snapshot on the ledger. */
export async function snapshotRouting(input: SnapshotRoutingInput): Promise<StepReport<RoutingSnapshot>> {
  const key = edgeKey(input.channelId);
  const [edge, group, standbyState] = await Promise.all([
    readKey(input.kvs, input.kvsArn, key),
    input.originGroupId === undefined ? null : readOriginGroup(input.cloudFront, input.distributionId, input.originGroupId),
    describeChannelState(input.mediaLive, input.standby),
  ]);
  // An unreadable value fails the snapshot: nothing has changed yet, and a rollback could not restore it.
  const state = edgeStateOf(parseEdgeValue(edge, { key, kvsArn: input.kvsArn, channelId: input.channelId }));
  const snapshot: RoutingSnapshot = {
    edge,
    route: edge === null ? null : state.route,
    slate: state.slate,
    originOrder: group === null ? null : group.order,
    standbyState,
    takenAt: nowIso(input.now),
  };
  // A plan changes nothing, so it has nothing to roll back and writes nothing.
  if (input.mode === 'live') await input.ledger.saveSnapshot(input.channelId, input.incidentId, snapshot);
  return { step: 'snapshotRouting', observed: snapshot, changes: [] };
}

/** When the standby must be ready: the incident's start on the control plane's clock plus the channel's allowance. */
export function standbyDeadline(startedAt: string, readySeconds: number): string {
  const start = Date.parse(startedAt);
  if (Number.isNaN(start)) throw new RangeError(`startedAt "${startedAt}" is not an ISO 8601 time`);
  return new Date(start + readySeconds * 1000).toISOString();
}

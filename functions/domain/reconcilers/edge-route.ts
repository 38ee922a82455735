// The fast path of a repoint: the edge router reads one KeyValueStore value per channel, edge:<id>
// (routing-keys.ts: the contract both sides import). The route and the slate live in that one value, so each
// reconciler writes the whole value it wants (route, slate and the registry's origin id, slate path and
// per-origin paths) and only when it differs from what is stored.
import type { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import {
  decodeEdgeValue,
  describeEdgeValue,
  edgeKey,
  edgeStateOf,
  edgeValueString,
  encodeEdgeValue,
  pinnedEdgeValue,
  type EdgeState,
  type EdgeValue,
  type Route,
} from '../routing-keys.js';
import type { Channel } from '../registry/schema.js';
import { RoutingConfigError } from './errors.js';
import { readKey, writeKey } from './kvs.js';
import { change, type Mode, type StepReport } from './report.js';

/** What the edge reconcilers need of a registry channel. */
export type EdgeChannel = Pick<Channel, 'id' | 'primary' | 'standby' | 'edge'>;

/** Decodes a stored value (null = absent); a value the contract does not know is an error, never overwritten blindly. */
export function parseEdgeValue(raw: string | null, context: Record<string, unknown>): EdgeValue | null {
  if (raw === null) return null;
  const value = decodeEdgeValue(raw);
  if (value === null) throw new RoutingConfigError(`KVS ${String(context.key)} holds "${raw}", which is not an edge value (routing-keys.ts)`, context);
  return value;
}

export interface EdgeObserved extends EdgeState {
  key: string;
  /** The stored value as read (null = absent). */
  value: string | null;
}

/** For the change report: "standby (mp-usw2-news-1), slate /slate/index.m3u8"; null = absent. */
export function describeStored(raw: string | null): string | null {
  if (raw === null) return null;
  const value = decodeEdgeValue(raw);
  return value === null ? `unreadable ${JSON.stringify(raw)}` : describeEdgeValue(value);
}

async function observe(kvs: CloudFrontKeyValueStoreClient, channel: EdgeChannel): Promise<EdgeObserved> {
  const key = edgeKey(channel.id);
  const value = await readKey(kvs, channel.edge.kvsArn, key);
  const state = edgeStateOf(parseEdgeValue(value, { key, kvsArn: channel.edge.kvsArn, channelId: channel.id }));
  return { key, value, ...state };
}

/** Writes `desired` when it differs from what `observed` saw; reports the change (applied only in live mode). */
async function reconcile(
  kvs: CloudFrontKeyValueStoreClient,
  step: string,
  channel: EdgeChannel,
  observed: EdgeObserved,
  desired: string | null,
  mode: Mode,
): Promise<StepReport<EdgeObserved>> {
  const report: StepReport<EdgeObserved> = { step, observed, changes: [] };
  if (observed.value === desired) return report;
  if (mode === 'live') await writeKey(kvs, channel.edge.kvsArn, observed.key, desired);
  report.changes.push(change(mode, `kvs:${observed.key}`, describeStored(observed.value), describeStored(desired)));
  return report;
}

export interface SetEdgeRouteInput {
  channel: EdgeChannel;
  route: Route;
  /** Also set the slate, in the same write (a failover leaving the slate for the standby); absent: it stays as it is. */
  slate?: boolean;
  mode: Mode;
  kvs: CloudFrontKeyValueStoreClient;
}

/** Reconciles the route of edge:<id>, and the slate when given (else the slate stays as it is). */
export async function setEdgeRoute(input: SetEdgeRouteInput): Promise<StepReport<EdgeObserved>> {
  const observed = await observe(input.kvs, input.channel);
  const desired = edgeValueString(input.channel, { route: input.route, slate: input.slate ?? observed.slate });
  return reconcile(input.kvs, 'setEdgeRoute', input.channel, observed, desired, input.mode);
}

export interface SetSlateInput {
  channel: EdgeChannel;
  on: boolean;
  mode: Mode;
  kvs: CloudFrontKeyValueStoreClient;
}

/** Reconciles the slate of edge:<id> (the route stays as it is). */
export async function setSlate(input: SetSlateInput): Promise<StepReport<EdgeObserved>> {
  const observed = await observe(input.kvs, input.channel);
  return reconcile(input.kvs, 'setSlate', input.channel, observed, edgeValueString(input.channel, { route: observed.route, slate: input.on }), input.mode);
}

export interface RestoreEdgeInput {
  channel: EdgeChannel;
  /** The exact value of the routing snapshot (null = the key was absent). */
  value: string | null;
  mode: Mode;
  kvs: CloudFrontKeyValueStoreClient;
}

/**
 * The rollback: puts back the value the snapshot read (route and slate together), even one written under an
 * older registry, rather than re-deriving it. Whatever is stored now is replaced, readable or not. One
 * exception: a primary route read before the route was pinned (an absent key, or a value without `g`, on a
 * channel with an origin group) goes back pinned, so the rollback does not hand viewers to whatever order
 * the distribution has deployed (routing-keys.ts).
 */
export async function restoreEdgeValue(input: RestoreEdgeInput): Promise<StepReport<EdgeObserved>> {
  const key = edgeKey(input.channel.id);
  const context = { key, kvsArn: input.channel.edge.kvsArn, channelId: input.channel.id };
  const snapshot = parseEdgeValue(input.value, { ...context, source: 'snapshot' });
  const pinned = pinnedEdgeValue(input.channel, snapshot);
  const desired = pinned === snapshot ? input.value : encodeEdgeValue(pinned);
  const value = await readKey(input.kvs, input.channel.edge.kvsArn, key);
  const current = value === null ? null : decodeEdgeValue(value);
  return reconcile(input.kvs, 'restoreEdgeValue', input.channel, { key, value, ...edgeStateOf(current) }, desired, input.mode);
}

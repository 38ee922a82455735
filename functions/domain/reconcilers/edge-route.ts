// The fast path of a repoint: the edge router reads route:<id> and slate:<id> from the KeyValueStore.
import type { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { ROUTE_PRIMARY, ROUTE_STANDBY, routeKey, SLATE_ON, slateKey, type Route } from '../routing-keys.js';
import { RoutingConfigError } from './errors.js';
import { readKey, writeKey } from './kvs.js';
import { change, type Mode, type StepReport } from './report.js';

export function parseRoute(value: string | null, context: Record<string, unknown>): Route | null {
  if (value === null || value === ROUTE_PRIMARY || value === ROUTE_STANDBY) return value;
  throw new RoutingConfigError(`KVS ${String(context.key)} holds "${value}", expected "${ROUTE_PRIMARY}" or "${ROUTE_STANDBY}"`, context);
}

export interface SetEdgeRouteInput {
  channelId: string;
  kvsArn: string;
  /** null = the key is absent (the edge then uses the primary): what a rollback restores when it was absent. */
  route: Route | null;
  mode: Mode;
  kvs: CloudFrontKeyValueStoreClient;
}

export interface EdgeRouteObserved {
  key: string;
  route: Route | null;
}

/** Reconciles route:<channelId> to `route`; no write when it already holds that value. */
export async function setEdgeRoute(input: SetEdgeRouteInput): Promise<StepReport<EdgeRouteObserved>> {
  const key = routeKey(input.channelId);
  const current = parseRoute(await readKey(input.kvs, input.kvsArn, key), { key, kvsArn: input.kvsArn });
  const report: StepReport<EdgeRouteObserved> = { step: 'setEdgeRoute', observed: { key, route: current }, changes: [] };
  if (current === input.route) return report;
  if (input.mode === 'live') await writeKey(input.kvs, input.kvsArn, key, input.route);
  report.changes.push(change(input.mode, `kvs:${key}`, current, input.route));
  return report;
}

export interface SetSlateInput {
  channelId: string;
  kvsArn: string;
  on: boolean;
  mode: Mode;
  kvs: CloudFrontKeyValueStoreClient;
}

/** Reconciles slate:<channelId>: on => "on"; off => the key is deleted (only when present). */
export async function setSlate(input: SetSlateInput): Promise<StepReport<{ key: string; on: boolean }>> {
  const key = slateKey(input.channelId);
  const value = await readKey(input.kvs, input.kvsArn, key);
  const on = value === SLATE_ON;
  const report: StepReport<{ key: string; on: boolean }> = { step: 'setSlate', observed: { key, on }, changes: [] };
  // "off" means absent: a stray value other than "on" is cleaned up too.
  const desired = input.on ? SLATE_ON : null;
  if (value === desired) return report;
  if (input.mode === 'live') await writeKey(input.kvs, input.kvsArn, key, desired);
  report.changes.push(change(input.mode, `kvs:${key}`, value, desired));
  return report;
}

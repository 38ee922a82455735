// Reconciles edge:<id> for every channel of the registry in one pass: what a deploy runs (`flatline edge sync`)
// so that the edge knows what only the registry says. A channel that never failed over may have no value and the
// edge gives it the default route (fail open); that is right unless the channel has an origin group (its primary
// route pins the group: routing-keys.ts), its origins serve different paths (edge.paths per-origin: the value
// carries them) or the registry changed what a stored value repeats (origin ids, selection, slate path, origin
// paths). The route and the slate already stored are kept.
// With `fromLegacy` the route and slate come from the keys before edge:<id> (route:<id>, slate:<id>) instead:
// the migration; `deleteLegacy` removes those keys once the new function is deployed.
import type { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { InvalidInputError } from '../errors.js';
import {
  EDGE_KEY_PREFIX,
  edgeKey,
  edgeStateOf,
  edgeValueString,
  legacyEdgeState,
  legacyRouteKey,
  legacySlateKey,
  type EdgeState,
} from '../routing-keys.js';
import { describeStored, parseEdgeValue, type EdgeChannel } from './edge-route.js';
import { listKeys, writeKeys } from './kvs.js';
import { change, type Mode, type StepReport } from './report.js';

export interface SyncEdgeInput {
  channels: readonly EdgeChannel[];
  mode: Mode;
  /** Take route and slate from route:<id> / slate:<id> (the migration, before the new function is deployed). */
  fromLegacy?: boolean;
  /** Delete route:<id> / slate:<id> (after the new function is deployed). */
  deleteLegacy?: boolean;
  kvs: CloudFrontKeyValueStoreClient;
}

export interface SyncEdgeObserved {
  stores: string[];
  channels: number;
  /** Channels whose value was already what the registry says. */
  unchanged: number;
  /** edge:<id> keys of channels the registry no longer has (reported, left alone). */
  orphans: string[];
}

export async function syncEdgeValues(input: SyncEdgeInput): Promise<StepReport<SyncEdgeObserved>> {
  if (input.fromLegacy && input.deleteLegacy) {
    throw new InvalidInputError('edge sync: --from-legacy and --delete-legacy are two steps of the migration, with the deploy in between: run them one at a time');
  }
  const byStore = new Map<string, EdgeChannel[]>();
  for (const c of input.channels) byStore.set(c.edge.kvsArn, [...(byStore.get(c.edge.kvsArn) ?? []), c]);
  const observed: SyncEdgeObserved = { stores: [...byStore.keys()], channels: input.channels.length, unchanged: 0, orphans: [] };
  const report: StepReport<SyncEdgeObserved> = { step: 'syncEdgeValues', observed, changes: [] };

  for (const [kvsArn, channels] of byStore) {
    const stored = await listKeys(input.kvs, kvsArn);
    const writes = new Map<string, string | null>();
    for (const channel of channels) {
      const key = edgeKey(channel.id);
      const current = stored.get(key) ?? null;
      const state: EdgeState = input.fromLegacy
        ? legacyEdgeState(stored.get(legacyRouteKey(channel.id)) ?? null, stored.get(legacySlateKey(channel.id)) ?? null)
        : edgeStateOf(parseEdgeValue(current, { key, kvsArn, channelId: channel.id }));
      const desired = edgeValueString(channel, state);
      if (desired === current) observed.unchanged++;
      else {
        writes.set(key, desired);
        report.changes.push(change(input.mode, `kvs:${key}`, describeStored(current), describeStored(desired)));
      }
      if (input.deleteLegacy) {
        for (const legacy of [legacyRouteKey(channel.id), legacySlateKey(channel.id)]) {
          const value = stored.get(legacy);
          if (value === undefined) continue;
          writes.set(legacy, null);
          report.changes.push(change(input.mode, `kvs:${legacy}`, value, null));
        }
      }
    }
    const known = new Set(channels.map((c) => edgeKey(c.id)));
    for (const key of stored.keys()) if (key.startsWith(EDGE_KEY_PREFIX) && !known.has(key)) observed.orphans.push(key);
    if (input.mode === 'live' && writes.size > 0) await writeKeys(input.kvs, kvsArn, writes);
  }
  return report;
}

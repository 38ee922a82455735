// The one definition of the KeyValueStore contract between the control plane, which writes it (the step
// reconcilers in reconcilers/edge-route.ts and snapshot.ts, and `flatline edge sync`), and the edge router
// CloudFront Function, which reads it (edge/router.ts). The function bundles this file: it imports nothing at
// run time and keeps to what CloudFront Functions runtime 2.0 runs (edge/build.ts checks the built function).
//
// One key per channel, `edge:<channelId>`, holding everything the function needs for that channel, so a
// request costs one KVS read and the function carries no channel table (its size does not depend on the
// registry, and a new channel needs no function publish). The primary route of a channel with an origin group
// is written, not left to an absent key: the value names the group's members primary first, and the function
// builds the request's origin group from it, so a failback does not wait for an UpdateDistribution (minutes,
// InProgress) that puts the primary first again in the distribution. An absent or unreadable key is the default
// route: whatever the behaviour targets, in the distribution's deployed order, no slate, no rewrite (fail open).
export const ROUTE_PRIMARY = 'primary';
export const ROUTE_STANDBY = 'standby';
export type Route = typeof ROUTE_PRIMARY | typeof ROUTE_STANDBY;

/** Every edge request for a channel lives under this prefix: /live/<channelId>/... */
export const LIVE_PREFIX = '/live/';

/**
 * The request header the edge router sets to the route it took from edge:<id> ('o:<origin id>', 'g:<first member>'),
 * so that a cache policy listing it keys cached objects by route: after a flip the next request misses instead of
 * getting the old route's playlist (edge/README.md). Lowercase: CloudFront Functions see header names lowercased.
 */
export const ROUTE_HEADER = 'x-flatline-route';
export const EDGE_KEY_PREFIX = 'edge:';
export const edgeKey = (channelId: string): string => EDGE_KEY_PREFIX + channelId;

/** KeyValueStore limits (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html). */
export const KVS_MAX_KEY_BYTES = 512;
export const KVS_MAX_VALUE_BYTES = 1024;
/** "5 MB" per store, counted as 5,000,000 bytes to stay on the safe side of either reading. */
export const KVS_MAX_STORE_BYTES = 5_000_000;

/**
 * The statuses a channel's origin group fails over on: the request origin group the function creates
 * (cf.createRequestOriginGroup requires its own failoverCriteria, which overwrite the group's) and the
 * origin groups the sandbox seeds. 404: MediaPackage can answer 404 on a stale manifest; 500/502/503/504:
 * the origin fails, 503 also on a connection failure and 504 on a timeout. All are among the codes origin
 * failover accepts (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html).
 */
export const ORIGIN_GROUP_FAILOVER_STATUS_CODES: readonly number[] = [404, 500, 502, 503, 504];

/** Registry channel ids: what the function accepts before it spends a KVS read. ASCII, so characters = bytes. */
export const CHANNEL_ID_PATTERN = /^[a-z0-9-]+$/;
export const MAX_CHANNEL_ID_LENGTH = KVS_MAX_KEY_BYTES - EDGE_KEY_PREFIX.length;

/**
 * The value of `edge:<channelId>` (JSON). One-letter names: the store holds thousands of them.
 * Every field is optional; a value with none is never written (the key is deleted instead).
 */
export interface EdgeValue {
  /** Standby route: the CloudFront origin id to select (cf.selectRequestOriginById). Absent: primary. */
  o?: string;
  /**
   * Primary route of a channel with an origin group: its members, primary first, for the request's origin group
   * (cf.createRequestOriginGroup, failing over on ORIGIN_GROUP_FAILOVER_STATUS_CODES). Never with `o`.
   */
  g?: [string, string];
  /** With `g`: 1 = the group selects by media quality (edge.originSelection media-quality-based). */
  m?: 1;
  /** Slate on: the path manifest requests (.m3u8, .mpd) are rewritten to. Absent: no slate. */
  l?: string;
  /** edge.paths per-origin: the channel's path on the primary origin (no trailing slash), used on the default route. */
  p?: string;
  /** edge.paths per-origin: the channel's path on the standby origin, used when `o` was selected. */
  q?: string;
}

/** What a value means to an operator and to the state machines. */
export interface EdgeState {
  route: Route;
  slate: boolean;
}

const isOriginId = (id: unknown): id is string => typeof id === 'string' && id !== '';

/** Parses a stored value; null when it is not a value of this contract (the edge then keeps the default route). */
export function decodeEdgeValue(raw: string): EdgeValue | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const v = parsed as Record<string, unknown>;
  const value: EdgeValue = {};
  if (v.o !== undefined) {
    if (typeof v.o !== 'string' || v.o === '') return null;
    value.o = v.o;
  }
  if (v.g !== undefined) {
    const g = v.g;
    if (value.o !== undefined || !Array.isArray(g) || g.length !== 2 || !isOriginId(g[0]) || !isOriginId(g[1]) || g[0] === g[1]) return null;
    value.g = [g[0], g[1]];
  }
  if (v.m !== undefined) {
    if (v.m !== 1 || value.g === undefined) return null;
    value.m = 1;
  }
  if (v.l !== undefined) {
    if (typeof v.l !== 'string' || v.l.charAt(0) !== '/') return null;
    value.l = v.l;
  }
  if (v.p !== undefined || v.q !== undefined) {
    if (typeof v.p !== 'string' || typeof v.q !== 'string') return null;
    value.p = v.p;
    value.q = v.q;
  }
  return value;
}

export function edgeStateOf(value: EdgeValue | null): EdgeState {
  return { route: value && value.o !== undefined ? ROUTE_STANDBY : ROUTE_PRIMARY, slate: value !== null && value.l !== undefined };
}

/** What a stored value (undefined/null = absent) means at the edge; an unreadable one is the default there too. */
export const storedEdgeState = (raw: string | null | undefined): EdgeState =>
  edgeStateOf(raw === null || raw === undefined ? null : decodeEdgeValue(raw));

/** What the writer needs of a registry channel (a registry Channel is one; no import, so no cycle with the schema). */
export interface EdgeChannelData {
  primary: { originId: string; originPath?: string | undefined };
  standby: { originId: string; originPath?: string | undefined };
  edge: {
    slatePath: string;
    paths: 'identical' | 'per-origin';
    originGroupId?: string | undefined;
    originSelection: 'default' | 'media-quality-based';
  };
}

const trimSlash = (path: string): string => path.replace(/\/+$/, '');

/** The value the edge needs for `channel` in `state`, from the registry; null = nothing to say (no key). */
export function edgeValueFor(channel: EdgeChannelData, state: EdgeState): EdgeValue | null {
  const value: EdgeValue = {};
  if (state.route === ROUTE_STANDBY) value.o = channel.standby.originId;
  else if (channel.edge.originGroupId !== undefined) {
    // Pinned: the request's own group, so the route does not depend on the distribution's deployed order.
    value.g = [channel.primary.originId, channel.standby.originId];
    if (channel.edge.originSelection === 'media-quality-based') value.m = 1;
  }
  if (state.slate) value.l = channel.edge.slatePath;
  if (channel.edge.paths === 'per-origin') {
    // The registry schema requires both originPaths when paths is per-origin.
    value.p = trimSlash(channel.primary.originPath ?? '');
    value.q = trimSlash(channel.standby.originPath ?? '');
  }
  return value.o === undefined && value.g === undefined && value.l === undefined && value.p === undefined ? null : value;
}

/** The stored form: fields in a fixed order, so equal values are equal strings (the reconcilers compare strings). */
export function encodeEdgeValue(value: EdgeValue | null): string | null {
  if (value === null) return null;
  const ordered: EdgeValue = {};
  if (value.o !== undefined) ordered.o = value.o;
  if (value.g !== undefined) ordered.g = value.g;
  if (value.g !== undefined && value.m !== undefined) ordered.m = value.m;
  if (value.l !== undefined) ordered.l = value.l;
  if (value.p !== undefined && value.q !== undefined) {
    ordered.p = value.p;
    ordered.q = value.q;
  }
  return JSON.stringify(ordered);
}

/** The stored value for `channel` in `state` (null = the key is absent). */
export const edgeValueString = (channel: EdgeChannelData, state: EdgeState): string | null =>
  encodeEdgeValue(edgeValueFor(channel, state));

/**
 * A primary-route value as a channel with an origin group needs it now: with its group pinned (`g`, `m`). A value
 * written before the pin (an absent key, or one without `g`: the deployed order decided) gets it; a standby
 * value, a value that has it, and any value of a channel without a group are returned as they are.
 */
export function pinnedEdgeValue(channel: EdgeChannelData, value: EdgeValue | null): EdgeValue | null {
  if (channel.edge.originGroupId === undefined || (value !== null && (value.o !== undefined || value.g !== undefined))) return value;
  const pin = edgeValueFor(channel, { route: ROUTE_PRIMARY, slate: false })!;
  return { ...value, g: pin.g!, ...(pin.m === undefined ? {} : { m: pin.m }) };
}

/** The largest value the control plane can write for `channel` (slate on, either route): what must fit the KVS limits. */
export function largestEdgeValueString(channel: EdgeChannelData): string {
  const standby = edgeValueString(channel, { route: ROUTE_STANDBY, slate: true }) ?? '';
  const primary = edgeValueString(channel, { route: ROUTE_PRIMARY, slate: true }) ?? '';
  return primary.length > standby.length ? primary : standby;
}

/** For reports and notifications: "standby (mp-usw2-news-1), slate /slate/index.m3u8". */
export function describeEdgeValue(value: EdgeValue | null): string {
  const route = value && value.o !== undefined ? `standby (${value.o})` : 'primary';
  return value && value.l !== undefined ? `${route}, slate ${value.l}` : route;
}

/**
 * The keys before `edge:<id>` (route:<id> = primary | standby, slate:<id> = on). Nothing reads them any more;
 * `flatline edge sync --from-legacy` carries them over and `--delete-legacy` removes them.
 */
export const LEGACY_ROUTE_PREFIX = 'route:';
export const LEGACY_SLATE_PREFIX = 'slate:';
export const legacyRouteKey = (channelId: string): string => LEGACY_ROUTE_PREFIX + channelId;
export const legacySlateKey = (channelId: string): string => LEGACY_SLATE_PREFIX + channelId;

/** What the legacy keys said (route:<id> = standby, slate:<id> = on; anything else is the default). */
export const legacyEdgeState = (route: string | null, slate: string | null): EdgeState => ({
  route: route === ROUTE_STANDBY ? ROUTE_STANDBY : ROUTE_PRIMARY,
  slate: slate === 'on',
});

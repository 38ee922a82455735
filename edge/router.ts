// The edge router: a CloudFront Function (runtime cloudfront-js-2.0, viewer-request) on the /live/* behaviours.
// It repoints a channel in seconds by reading the one KeyValueStore value the control plane writes per channel,
// edge:<id> (functions/domain/routing-keys.ts, the contract both sides import):
//   o (origin id)    -> that origin (cf.selectRequestOriginById): the standby route
//   g (two ids)      -> the request's origin group, g[0] first (cf.createRequestOriginGroup): the primary route of a
//                       channel with an origin group, independent of the order the distribution has deployed
//   neither / no key -> untouched: the behaviour's default (its origin group as deployed, or its primary origin)
//   l (slate path)   -> manifest requests (.m3u8, .mpd) are rewritten to it; segments are left alone so players drain
//   p, q (per-origin) -> /live/<id>/<rest> becomes <p or q>/<rest> (q when o was selected)
// The route taken from o or g goes in the x-flatline-route request header ('o:<id>', 'g:<first id>'). CloudFront
// runs the function before it looks the request up in its cache
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/function-code-choose-purpose.html) and a header
// the behaviour's cache policy lists is part of the cache key and forwarded to the origin
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyHeadersConfig.html), so with the stack's
// cache policy (edge/cache-policy.ts) a route flip misses the cache instead of serving the old route's playlist until
// its max-age. A viewer's own x-flatline-route is dropped: only the function names routes in the cache key.
// One KVS read per request and no channel table: the function's size does not depend on the registry.
// Fail open: a KVS error, a missing key or a value it cannot read never breaks the stream.
// Written for runtime 2.0: no timers, no network, sequential awaits (Promise combinators cost memory), no
// destructuring/for-of/optional chaining; edge/build.ts bundles it and checks the limits.
import cf from 'cloudfront';
import {
  CHANNEL_ID_PATTERN,
  LIVE_PREFIX,
  MAX_CHANNEL_ID_LENGTH,
  ORIGIN_GROUP_FAILOVER_STATUS_CODES,
  ROUTE_HEADER,
  decodeEdgeValue,
  edgeKey,
  type EdgeValue,
} from '../functions/domain/routing-keys.js';
import type { CfKvsHandle, CfRequest, CfViewerRequestEvent } from './runtime-types.js';

/** A missing key (get rejects), a store error and an unreadable value all read as "absent": the default route. */
async function readEdgeValue(kvs: CfKvsHandle, channelId: string): Promise<EdgeValue | null> {
  let raw: string;
  try {
    raw = await kvs.get(edgeKey(channelId));
  } catch {
    return null;
  }
  return decodeEdgeValue(raw);
}

/**
 * Path safety: a path with a dot segment ("." or ".." between slashes, RFC 3986 section 3.3) or a percent-encoded
 * ".", "/" or "\" (or a raw "\") is passed through untouched: no KVS read, no origin, no rewrite.
 *
 * Why not route it on its normalized form instead: CloudFront matches cache behaviours on a normalized path but
 * hands the function and the origin the raw URI (Path pattern, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html),
 * and origins differ in whether they decode %2F or treat "\" as a separator. A second normalizer here could
 * disagree with either and route /live/a/../b/ with a's route, skip b's slate, or rewrite a path that still
 * holds the "..". Players never send such paths (they resolve relative URIs with dot-segment removal,
 * RFC 3986 section 5.2), so only hand-made requests meet this rule, and they get exactly what they would
 * get without the function: the behaviour's origin group and the raw path.
 */
function isPlainPath(uri: string): boolean {
  return !/%(2e|2f|5c)|\\|\/\.\.?(\/|$)/i.test(uri);
}

function isManifest(uri: string): boolean {
  const lower = uri.toLowerCase();
  return lower.endsWith('.m3u8') || lower.endsWith('.mpd');
}

export async function handler(event: CfViewerRequestEvent): Promise<CfRequest> {
  const request = event.request;
  const uri = request.uri;
  delete request.headers[ROUTE_HEADER];
  if (uri.indexOf(LIVE_PREFIX) !== 0 || !isPlainPath(uri)) return request;
  const end = uri.indexOf('/', LIVE_PREFIX.length);
  if (end < 0) return request;
  const id = uri.substring(LIVE_PREFIX.length, end);
  // Not a registry channel id (which also keeps edge:<id> within the KVS key limit): no read spent on it.
  if (id.length > MAX_CHANNEL_ID_LENGTH || !CHANNEL_ID_PATTERN.test(id)) return request;

  let kvs: CfKvsHandle;
  try {
    kvs = cf.kvs();
  } catch {
    return request;
  }
  const value = await readEdgeValue(kvs, id);
  if (!value) return request;

  let selected = false;
  let route = '';
  if (value.o !== undefined) {
    try {
      cf.selectRequestOriginById(value.o);
      selected = true;
      route = 'o:' + value.o;
    } catch {
      // an origin id the distribution lacks: stay on the default rather than fail the request
    }
  }
  if (value.g !== undefined) {
    try {
      cf.createRequestOriginGroup({
        originIds: [{ originId: value.g[0] }, { originId: value.g[1] }],
        // Required, and they replace the group's own codes: the codes its origin groups are set up with (edge/README.md).
        failoverCriteria: { statusCodes: ORIGIN_GROUP_FAILOVER_STATUS_CODES.slice() },
        selectionCriteria: value.m === 1 ? 'media-quality-score' : 'default',
      });
      route = 'g:' + value.g[0];
    } catch {
      // an origin id the distribution lacks: the behaviour's own group still serves the request
    }
  }
  if (route !== '') request.headers[ROUTE_HEADER] = { value: route };
  if (value.l !== undefined && isManifest(uri)) request.uri = value.l;
  else if (value.p !== undefined && value.q !== undefined) request.uri = (selected ? value.q : value.p) + uri.substring(end);
  return request;
}

// The edge router: a CloudFront Function (runtime cloudfront-js-2.0, viewer-request) on the /live/* behaviours.
// It repoints a channel in seconds by reading the KeyValueStore the control plane writes (functions/domain/routing-keys.ts):
//   route:<id> = standby  -> the channel's standby origin (cf.selectRequestOriginById)
//   route:<id> = primary / absent -> untouched: the behaviour's default, the origin group with the primary first
//   slate:<id> = on       -> manifest requests (.m3u8, .mpd) go to the slate; segments are left alone so players drain
// Fail open: a KVS error or a missing key never breaks the stream. Requests outside /live/ and unknown channels pass.
// Written for runtime 2.0: no timers, no network, sequential awaits (Promise combinators cost memory), no
// destructuring/for-of/optional chaining; edge/build.ts bundles it, inlines the channel table and checks the limits.
import cf from 'cloudfront';
import { LIVE_PREFIX, ROUTE_STANDBY, SLATE_ON, routeKey, slateKey } from '../functions/domain/routing-keys.js';
import type { CfKvsHandle, CfRequest, CfViewerRequestEvent } from './runtime-types.js';
import type { EdgeChannel, EdgeTable } from './table.js';

/** Replaced by the build with the registry's channel table (esbuild `define`). */
declare const __FLATLINE_EDGE_TABLE__: EdgeTable;
const CHANNELS: EdgeTable = __FLATLINE_EDGE_TABLE__;

function channelOf(id: string): EdgeChannel | undefined {
  // Own properties only: "/live/constructor/..." must not find Object.prototype.constructor.
  return Object.prototype.hasOwnProperty.call(CHANNELS, id) ? CHANNELS[id] : undefined;
}

/** A missing key (get rejects) and a store error both read as "absent": the request keeps its default route. */
async function read(kvs: CfKvsHandle, key: string): Promise<string | undefined> {
  try {
    return await kvs.get(key);
  } catch {
    return undefined;
  }
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
  if (uri.indexOf(LIVE_PREFIX) !== 0 || !isPlainPath(uri)) return request;
  const end = uri.indexOf('/', LIVE_PREFIX.length);
  if (end < 0) return request;
  const id = uri.substring(LIVE_PREFIX.length, end);
  const channel = channelOf(id);
  if (!channel) return request;

  let kvs: CfKvsHandle;
  try {
    kvs = cf.kvs();
  } catch {
    return request;
  }
  let standby = (await read(kvs, routeKey(id))) === ROUTE_STANDBY;
  const slate = isManifest(uri) && (await read(kvs, slateKey(id))) === SLATE_ON;

  if (standby) {
    try {
      cf.selectRequestOriginById(channel.s);
    } catch {
      standby = false; // an origin id the distribution lacks: stay on the default rather than fail the request
    }
  }
  if (slate) request.uri = channel.l;
  else if (channel.p !== undefined && channel.q !== undefined) request.uri = (standby ? channel.q : channel.p) + uri.substring(end);
  return request;
}

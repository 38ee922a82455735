// The rig of the tests that hold the sandbox edge to CloudFront's documented behaviour: a media world over real
// HTTP whose MediaLive channels all run, whose edge is routed by the real edge function over the KVS values in
// `kvs`, and which serves the origin groups (and, with cacheKeys, the cache keys) the sandbox's CloudFront has
// deployed.
import { buildEdgeRouter } from '../../edge/build.js';
import { loadEdgeRouter } from '../../edge/harness.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import type { CloudFrontService } from '../../sandbox/aws/cloudfront.js';
import { startMediaWorld, type MediaWorld } from '../../sandbox/media/media-world.js';
import { SimChannel } from '../../sandbox/media/medialive-channel.js';

/** A clock the test moves by hand. */
export class Clock {
  t = 1_750_000_000_000;
  now = (): number => this.t;
}

export function startEdgeWorld(o: {
  registry: Registry;
  cloudfront: CloudFrontService;
  kvs: ReadonlyMap<string, string>;
  /** The channels the world asks for, created RUNNING on first use (the test pauses them through this map). */
  channels: Map<string, SimChannel>;
  now: () => number;
  cacheKeys?: boolean;
}): Promise<MediaWorld> {
  const { registry, cloudfront } = o;
  return startMediaWorld({
    registry,
    channel: (region, id) => {
      let c = o.channels.get(`${region}/${id}`);
      if (!c) {
        c = new SimChannel({ region, channelId: id });
        c.forceState('RUNNING');
        o.channels.set(`${region}/${id}`, c);
      }
      return c;
    },
    originGroup: (d, g) => cloudfront.deployedOriginGroup(d, g),
    ...(o.cacheKeys ? { cacheKeyHeaders: (d: string, path: string) => cloudfront.deployedCacheKeyHeaders(d, path) } : {}),
    router: loadEdgeRouter(buildEdgeRouter().code, { kvs: (key) => o.kvs.get(key), originIds: registry.channels.flatMap((c) => [c.primary.originId, c.standby.originId]) }),
    feed: { segmentMs: 1000, windowSegments: 6 },
    now: o.now,
  });
}

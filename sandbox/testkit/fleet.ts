// A registry whose channels are served by a LiveOrigin: stream "<id>/edge", "<id>/primary", "<id>/standby"
// (http on loopback: a local registry).
import { parseRegistry, type Registry } from '../../functions/domain/registry/index.js';

export function fleetDocument(base: string, ids: readonly string[], policy: Record<string, unknown> = {}) {
  return {
    local: true,
    channels: ids.map((id, i) => ({
      id,
      primary: { region: 'us-east-1', channelId: String(1000 + i), originId: `mp-use1-${id}`, manifestUrl: `${base}/${id}/primary/index.m3u8` },
      standby: { region: 'us-west-2', channelId: String(5000 + i), originId: `mp-usw2-${id}`, manifestUrl: `${base}/${id}/standby/index.m3u8`, mode: 'warm' },
      edge: {
        distributionId: 'E2QWRUHEXAMPLE',
        originGroupId: `og-${id}`,
        kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-example11111',
        manifestUrl: `${base}/${id}/edge/index.m3u8`,
        slatePath: '/slate/index.m3u8',
      },
      policy: { staleAfterTargetDurations: 1.5, consecutive: 2, ...policy },
    })),
  };
}

export function fleet(base: string, ids: readonly string[], policy: Record<string, unknown> = {}): Registry {
  return parseRegistry(fleetDocument(base, ids, policy), 'test fleet');
}

/**
 * A deployable fleet-scale registry document (https, not local): `count` channels `ch-<i>` on one distribution
 * and one store, laid out as CloudFront's per-distribution quotas allow (functions/domain/registry/quotas.ts):
 * every channel on the same two origins, one MediaPackage v2 channel group per region, each channel on its own
 * path (edge.paths per-origin); only the first `critical` channels (marked critical) have their own origin group.
 */
export function deployableFleetDocument(count: number, opts: { critical?: number } = {}) {
  const critical = opts.critical ?? 0;
  const egress = (region: string) => `https://fleet1.egress.x1y2z3.mediapackagev2.${region}.amazonaws.com`;
  return {
    channels: Array.from({ length: count }, (_, i) => {
      const id = `ch-${i}`;
      const path = `/out/v1/fleet/${id}/hls`;
      return {
        id,
        primary: { region: 'us-east-1', channelId: String(1000 + i), originId: 'mp-use1-fleet', originPath: path, manifestUrl: `${egress('us-east-1')}${path}/index.m3u8` },
        standby: { region: 'us-west-2', channelId: String(5000 + i), originId: 'mp-usw2-fleet', originPath: path, manifestUrl: `${egress('us-west-2')}${path}/index.m3u8`, mode: 'warm' },
        edge: {
          distributionId: 'E2QWRUHEXAMPLE',
          ...(i < critical ? { originGroupId: `og-${id}` } : {}),
          kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-example11111',
          manifestUrl: `https://d111111abcdef8.cloudfront.net/live/${id}/index.m3u8`,
          slatePath: '/slate/index.m3u8',
          paths: 'per-origin',
        },
        critical: i < critical,
      };
    }),
  };
}

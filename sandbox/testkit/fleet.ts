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

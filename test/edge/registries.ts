// Registries the edge tests build from: the real example registry, plus variants derived from it.
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import { parseRegistry, type Registry } from '../../functions/domain/registry/index.js';

export const EXAMPLE_REGISTRY = 'config/registry.example.yml';

export const exampleRegistry = (): Registry => readRegistryFile(EXAMPLE_REGISTRY);

/** The example registry plus `events-1`, whose two origins serve the channel under different paths (edge.paths per-origin). */
export function registryWithPerOriginChannel(): Registry {
  const example = exampleRegistry();
  const base = example.channels[0]!;
  const perOrigin = {
    ...base,
    id: 'events-1',
    primary: { ...base.primary, channelId: '1112223', originId: 'mp-use1-events-1', originPath: '/out/v1/aaa111/events-1/' },
    standby: { ...base.standby, channelId: '3332221', originId: 'mp-usw2-events-1', originPath: '/out/v1/bbb222/events-1' },
    edge: { ...base.edge, originGroupId: 'og-events-1', paths: 'per-origin', slatePath: '/slate/events.m3u8' },
  };
  return parseRegistry({ channels: [...example.channels, perOrigin] }, 'per-origin test registry');
}

export interface GeneratedRegistryOptions {
  /** Every channel with edge.paths per-origin and MediaPackage v2-shaped origin paths (the largest KVS values). */
  perOrigin?: boolean;
}

/**
 * `count` channels shaped like the example's first one, with realistic sizes rather than short test names:
 * ids like `league-pass-hd-00042` (20 characters), origin ids shaped like the MediaPackage v2 egress domain
 * (about 60 characters), a slate per channel and, with perOrigin, the MediaPackage v2 path
 * /out/v1/<channel group>/<channel>/<endpoint> on each side. Each channel has its own origins and origin
 * group (the registry refuses two channels on one: a reorder for one would move the other).
 */
export function registryWithChannels(count: number, options: GeneratedRegistryOptions = {}): Registry {
  const base = exampleRegistry().channels[0]!;
  const channels = Array.from({ length: count }, (_, i) => {
    const n = String(i).padStart(5, '0');
    const id = `league-pass-hd-${n}`;
    const shard = String(i % 97).padStart(2, '0');
    const primaryOrigin = `a1b2c3d4e5f6-${n}.egress.x1y2z3.mediapackagev2.us-east-1.amazonaws.com`;
    const standbyOrigin = `f6e5d4c3b2a1-${n}.egress.a1b2c3.mediapackagev2.us-west-2.amazonaws.com`;
    return {
      ...base,
      id,
      primary: {
        ...base.primary,
        channelId: String(1_000_000 + i),
        originId: primaryOrigin,
        ...(options.perOrigin ? { originPath: `/out/v1/live-use1-${shard}/${id}/hls-cmaf-primary/` } : {}),
      },
      standby: {
        ...base.standby,
        channelId: String(2_000_000 + i),
        originId: standbyOrigin,
        ...(options.perOrigin ? { originPath: `/out/v1/live-usw2-${shard}/${id}/hls-cmaf-standby` } : {}),
      },
      edge: { ...base.edge, originGroupId: `og-${n}`, slatePath: `/slate/${id}/index.m3u8`, paths: options.perOrigin ? 'per-origin' : 'identical' },
    };
  });
  return parseRegistry({ channels }, `${count}-channel test registry`);
}

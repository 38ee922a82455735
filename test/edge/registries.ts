// Registries the edge tests build from: the real example registry, plus variants derived from it.
import { parseRegistry, readRegistryFile, type Registry } from '../../functions/domain/registry/index.js';

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

/** `count` channels shaped like the example's first one (ids ch-0000...). */
export function registryWithChannels(count: number): Registry {
  const base = exampleRegistry().channels[0]!;
  const channels = Array.from({ length: count }, (_, i) => {
    const id = `ch-${String(i).padStart(4, '0')}`;
    return {
      ...base,
      id,
      primary: { ...base.primary, channelId: String(1_000_000 + i), originId: `mp-use1-${id}` },
      standby: { ...base.standby, channelId: String(2_000_000 + i), originId: `mp-usw2-${id}` },
      edge: { ...base.edge, originGroupId: `og-${id}`, slatePath: `/slate/${id}/index.m3u8` },
    };
  });
  return parseRegistry({ channels }, `${count}-channel test registry`);
}

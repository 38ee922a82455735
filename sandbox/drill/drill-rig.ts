// The drill rig, everything drills and replays run on: the embedded AWS sandbox (real triage, real state
// machines, real steps), the media world (origins fed by the sandbox's MediaLive channels, an edge running
// the real edge function against the sandbox's KeyValueStore), and FLATLINE_REGISTRY pointing the real
// handlers at the derived registry whose URLs are the loopback origins.
import { buildEdgeRouter } from '../../edge/build.js';
import { loadEdgeRouter } from '../../edge/harness.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import { KvsReplica, type KvsVisible } from '../media/edge-locations.js';
import type { FeedOptions } from '../media/origin.js';
import { seededRandom } from '../aws/faults.js';
import { drawMs } from '../world-model.js';
import { startMediaWorld, type MediaWorld } from '../media/media-world.js';
import { startDrillSandbox, type DrillSandboxOptions } from './aws-sandbox.js';
import type { DrillSandbox } from './seams.js';

export interface DrillRig {
  sandbox: DrillSandbox;
  world: MediaWorld;
  /** Base URLs of the edge locations (viewers spread across them). */
  edgeUrls: string[];
  /** What the function at edge location `location` reads for `key` now (its replica of the store). */
  kvsAt: (location: number, key: string) => string | undefined;
  /** Called when a KVS write becomes visible at an edge location. */
  onKvsVisible(listener: (v: KvsVisible) => void): () => void;
  /** Stops everything and restores FLATLINE_REGISTRY. */
  close(): Promise<void>;
}

export async function startDrillRig(
  registry: Registry,
  opts: { feed?: Omit<FeedOptions, 'now'>; sandbox?: DrillSandboxOptions } = {},
): Promise<DrillRig> {
  const savedRegistryEnv = process.env.FLATLINE_REGISTRY;
  const sandbox = await startDrillSandbox(registry, opts.sandbox);
  let world: MediaWorld;
  try {
    world = await startMediaWorld({
      registry,
      channel: (region, id) => sandbox.channel(region, id),
      // Edge locations serve with the last Deployed config: an UpdateDistribution InProgress has not reached them.
      originGroup: (d, g) => sandbox.deployedOriginGroup(d, g),
      // The cache key's headers too: the /live/* behaviour's cache policy, as deployed.
      cacheKeyHeaders: (d, path) => sandbox.deployedCacheKeyHeaders(d, path),
      edgeLocations: sandbox.world.edgeLocations,
      ...(opts.feed ? { feed: opts.feed } : {}),
    });
  } catch (err) {
    await sandbox.stop();
    throw err;
  }
  // One function reads one store: every channel of a registry names the same KVS (edge/resources.ts checks it).
  const kvsArn = registry.channels[0]!.edge.kvsArn;
  // Each edge location runs the function against its own replica of the store, a few seconds behind.
  const visibleListeners = new Set<(v: KvsVisible) => void>();
  const random = seededRandom((opts.sandbox?.seed ?? 1) * 7919 + 5);
  const code = buildEdgeRouter().code;
  const replicas = world.edges.map((edge, location) => {
    const replica = new KvsReplica(location, sandbox.kvsSnapshot(kvsArn), () => drawMs(sandbox.world.kvsPropagationS, random), (v) => visibleListeners.forEach((l) => l(v)));
    edge.router = loadEdgeRouter(code, { kvs: (key) => replica.get(key), originIds: registry.channels.flatMap((c) => [c.primary.originId, c.standby.originId]) });
    return replica;
  });
  const offKvs = sandbox.onKvsChange((c) => {
    if (c.arn === kvsArn) for (const r of replicas) r.write(c.key, c.value);
  });
  process.env.FLATLINE_REGISTRY = world.registryPath;
  return {
    sandbox,
    world,
    edgeUrls: world.edges.map((e) => e.url),
    kvsAt: (location, key) => replicas[location]?.get(key),
    onKvsVisible: (l) => {
      visibleListeners.add(l);
      return () => visibleListeners.delete(l);
    },
    close: async () => {
      offKvs();
      replicas.forEach((r) => r.dispose());
      await world.close().catch(() => undefined);
      await sandbox.stop().catch(() => undefined);
      if (savedRegistryEnv === undefined) delete process.env.FLATLINE_REGISTRY;
      else process.env.FLATLINE_REGISTRY = savedRegistryEnv;
    },
  };
}

// The drill rig, everything drills and replays run on: the embedded AWS sandbox (real triage, real state
// machines, real steps), the media world (origins fed by the sandbox's MediaLive channels, an edge running
// the real edge function against the sandbox's KeyValueStore), and FLATLINE_REGISTRY pointing the real
// handlers at the derived registry whose URLs are the loopback origins.
import { buildEdgeRouter } from '../../edge/build.js';
import { loadEdgeRouter } from '../../edge/harness.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import type { FeedOptions } from '../media/origin.js';
import { startMediaWorld, type MediaWorld } from '../media/media-world.js';
import { startDrillSandbox, type DrillSandboxOptions } from './aws-sandbox.js';
import type { DrillSandbox } from './seams.js';

export interface DrillRig {
  sandbox: DrillSandbox;
  world: MediaWorld;
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
      originGroupOrder: (d, g) => sandbox.originOrder(d, g),
      ...(opts.feed ? { feed: opts.feed } : {}),
    });
  } catch (err) {
    await sandbox.stop();
    throw err;
  }
  // One function reads one store: every channel of a registry names the same KVS (edge/resources.ts checks it).
  const kvsArn = registry.channels[0]!.edge.kvsArn;
  world.edge.router = loadEdgeRouter(buildEdgeRouter().code, {
    kvs: (key) => sandbox.kvsGet(kvsArn, key),
    originIds: registry.channels.flatMap((c) => [c.primary.originId, c.standby.originId]),
  });
  process.env.FLATLINE_REGISTRY = world.registryPath;
  return {
    sandbox,
    world,
    close: async () => {
      await world.close().catch(() => undefined);
      await sandbox.stop().catch(() => undefined);
      if (savedRegistryEnv === undefined) delete process.env.FLATLINE_REGISTRY;
      else process.env.FLATLINE_REGISTRY = savedRegistryEnv;
    },
  };
}

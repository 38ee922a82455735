// The media world: one MediaPackage origin server per region fed by the sandbox's SimChannels, a
// CloudFront edge in front of them, and a registry derived from the real one whose URLs point at them
// (compiled to a temp JSON file so that the real handlers, which load FLATLINE_REGISTRY, probe these origins).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCompiledRegistry } from '../../functions/domain/registry/file.js';
import { parseRegistry, type Channel, type Registry, type Side } from '../../functions/domain/registry/index.js';
import type { SimChannel } from './medialive-channel.js';
import { Edge, type CacheKeyHeadersLookup, type EdgeRouter, type OriginGroupLookup } from './edge.js';
import { LiveFeed, OriginServer, type FeedOptions } from './origin.js';

export interface MediaWorldOptions {
  /** The registry the drill runs (its https URLs are replaced by loopback ones). */
  registry: Registry;
  /** The SimChannel of a MediaLive channel (the AWS sandbox's channel model). */
  channel: (region: string, channelId: string) => SimChannel;
  /** The distribution's origin group as deployed: order and failover codes (the AWS sandbox's CloudFront config). */
  originGroup: OriginGroupLookup;
  /** The headers the deployed behaviour's cache policy puts in the cache key (default: none). */
  cacheKeyHeaders?: CacheKeyHeadersLookup;
  /** The edge function; can also be attached later with `world.edge.router = ...`. */
  router?: EdgeRouter;
  feed?: Omit<FeedOptions, 'now'>;
  /** Edge locations, each its own cache and function (default 1); the registry's edge URL is the first. */
  edgeLocations?: number;
  now?: () => number;
}

export interface MediaWorld {
  /** The derived registry: same channels, loopback manifest URLs. */
  registry: Registry;
  /** Path of the derived registry, compiled (point FLATLINE_REGISTRY at it). */
  registryPath: string;
  /** The first edge location (the one the probe watches). */
  edge: Edge;
  /** Every edge location; viewers spread across them. */
  edges: Edge[];
  origins: ReadonlyMap<string, OriginServer>;
  feed(channelId: string, side: Side): LiveFeed;
  origin(region: string): OriginServer;
  segmentMs: number;
  close(): Promise<void>;
}

export async function startMediaWorld(opts: MediaWorldOptions): Promise<MediaWorld> {
  const now = opts.now ?? Date.now;
  const origins = new Map<string, OriginServer>();
  const feeds = new Map<string, LiveFeed>();
  const originUrls: Record<string, string> = {};
  for (const channel of opts.registry.channels) {
    for (const side of ['primary', 'standby'] as const) {
      const { region, channelId, originId } = channel[side];
      let origin = origins.get(region);
      if (!origin) {
        origin = await OriginServer.start(region, { now });
        origins.set(region, origin);
      }
      const feed = new LiveFeed(channel.id, opts.channel(region, channelId), { ...opts.feed, now });
      origin.addFeed(feed);
      feeds.set(`${channel.id}/${side}`, feed);
      originUrls[originId] = origin.url;
    }
  }
  const edges: Edge[] = [];
  for (let i = 0; i < (opts.edgeLocations ?? 1); i++) {
    edges.push(
      await Edge.start({
        registry: opts.registry, // the edge needs ids, slate paths and origin groups, not URLs
        origins: originUrls,
        originGroup: opts.originGroup,
        ...(opts.cacheKeyHeaders ? { cacheKeyHeaders: opts.cacheKeyHeaders } : {}),
        ...(opts.router ? { router: opts.router } : {}),
        slateSegmentMs: opts.feed?.segmentMs ?? 1000,
        now,
      }),
    );
  }
  const edge = edges[0]!;
  const registry = deriveRegistry(opts.registry, (channel, side) => origins.get(channel[side].region)!.manifestUrl(channel.id), edge);
  const dir = mkdtempSync(join(tmpdir(), 'flatline-world-'));
  const registryPath = writeCompiledRegistry(registry, join(dir, 'registry.json'));
  return {
    registry,
    registryPath,
    edge,
    edges,
    origins,
    segmentMs: opts.feed?.segmentMs ?? 1000,
    feed(channelId, side) {
      const feed = feeds.get(`${channelId}/${side}`);
      if (!feed) throw new Error(`no feed for ${channelId}/${side}`);
      return feed;
    },
    origin(region) {
      const origin = origins.get(region);
      if (!origin) throw new Error(`no origin in ${region}`);
      return origin;
    },
    async close() {
      await Promise.all(edges.map((e) => e.close()));
      await Promise.all([...origins.values()].map((o) => o.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Same channels, with the manifest URLs of both origins and of the edge on loopback (a local registry). */
export function deriveRegistry(registry: Registry, originManifest: (channel: Channel, side: Side) => string, edge: { manifestUrl(id: string): string }): Registry {
  return parseRegistry(
    {
      local: true,
      channels: registry.channels.map((c) => ({
        ...c,
        primary: { ...c.primary, manifestUrl: originManifest(c, 'primary') },
        standby: { ...c.standby, manifestUrl: originManifest(c, 'standby') },
        edge: { ...c.edge, manifestUrl: edge.manifestUrl(c.id) },
      })),
    },
    'derived drill registry',
  );
}

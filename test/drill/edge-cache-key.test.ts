// The sandbox edge keys its cache as CloudFront does: the URI after the viewer-request function ran plus the
// request headers the behaviour's cache policy lists, as deployed. With a policy that lists x-flatline-route (the
// stack's, edge/cache-policy.ts) a location that cached the primary's playlist serves the standby's on the next
// request after a route flip; with the managed Elemental-MediaPackage policy it serves the cached primary one
// until max-age. Real loopback HTTP: origins fed by SimChannels, the edge, the sandbox's CloudFront and the real
// edge function. https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyHeadersConfig.html
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_MEDIAPACKAGE_CACHE_POLICY_ID } from '../../edge/cache-policy.js';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import { getChannel, type Registry } from '../../functions/domain/registry/index.js';
import { edgeKey, edgeValueString, ROUTE_HEADER, type EdgeState } from '../../functions/domain/routing-keys.js';
import { CloudFrontService, items, type XmlNode } from '../../sandbox/aws/cloudfront.js';
import type { MediaWorld } from '../../sandbox/media/media-world.js';
import type { SimChannel } from '../../sandbox/media/medialive-channel.js';
import { Clock, startEdgeWorld } from './edge-world.js';

const registry: Registry = readRegistryFile('config/registry.example.yml');
const news = getChannel(registry, 'news-1');
const distributionId = news.edge.distributionId;
const PRIMARY: EdgeState = { route: 'primary', slate: false };
const STANDBY: EdgeState = { route: 'standby', slate: false };

/** The /live/* behaviour of the seeded distribution. */
const liveBehaviour = (config: XmlNode): XmlNode => items(config.CacheBehaviors, 'CacheBehavior').find((b) => b.PathPattern === '/live/*')!;

describe('sandbox edge: the cache key holds the headers of the deployed cache policy', () => {
  const clock = new Clock();
  const channels = new Map<string, SimChannel>();
  const kvs = new Map<string, string>();
  let deployMs = 0;
  let cloudfront: CloudFrontService;
  let livePolicyId: string;
  let world: MediaWorld;

  const route = (state: EdgeState): void => {
    kvs.set(edgeKey(news.id), edgeValueString(news, state)!);
  };
  const usePolicy = (id: string): void => cloudfront.updateConfig(distributionId, (config) => void (liveBehaviour(config).CachePolicyId = id));

  async function viewerGets(): Promise<{ origin: string | undefined; cache: string | undefined }> {
    const res = await request(`${world.edge.url}/live/news-1/720p.m3u8`);
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    return { origin: header('x-flatline-origin'), cache: header('x-cache') };
  }

  beforeAll(async () => {
    cloudfront = new CloudFrontService(() => deployMs);
    cloudfront.seedFromRegistry(registry);
    livePolicyId = liveBehaviour(cloudfront.config(distributionId)).CachePolicyId as string;
    world = await startEdgeWorld({ registry, cloudfront, kvs, channels, now: clock.now, cacheKeys: true });
  });
  afterAll(async () => {
    cloudfront.dispose();
    await world.close();
  });
  afterEach(() => {
    kvs.clear();
    deployMs = 0;
    usePolicy(livePolicyId);
    world.edge.invalidate();
  });

  it('seeds the /live/* behaviour with the stack policy (x-flatline-route in the key) and the rest with none', () => {
    expect(cloudfront.deployedCacheKeyHeaders(distributionId, '/live/news-1/720p.m3u8')).toEqual(['origin', ROUTE_HEADER]);
    expect(cloudfront.deployedCacheKeyHeaders(distributionId, '/slate/index.m3u8')).toEqual([]);
    expect(cloudfront.cachePolicyHeaders(MANAGED_MEDIAPACKAGE_CACHE_POLICY_ID)).toEqual(['origin']);
  });

  it('without the header in the policy (managed Elemental-MediaPackage): the cached primary playlist until max-age', async () => {
    usePolicy(MANAGED_MEDIAPACKAGE_CACHE_POLICY_ID);
    route(PRIMARY);
    expect(await viewerGets()).toEqual({ origin: news.primary.originId, cache: 'Miss from cloudfront' });
    route(STANDBY);
    // The route flipped at this location, but the key is the URI alone: the primary's (frozen) playlist.
    expect(await viewerGets()).toEqual({ origin: news.primary.originId, cache: 'Hit from cloudfront' });
    clock.t += 1_001; // past the playlist's max-age=1
    expect(await viewerGets()).toEqual({ origin: news.standby.originId, cache: 'Miss from cloudfront' });
  });

  it("with the stack's policy: the standby's playlist on the first request after the flip, then cached per route", async () => {
    route(PRIMARY);
    expect(await viewerGets()).toEqual({ origin: news.primary.originId, cache: 'Miss from cloudfront' });
    expect(await viewerGets()).toEqual({ origin: news.primary.originId, cache: 'Hit from cloudfront' });
    route(STANDBY);
    expect(await viewerGets()).toEqual({ origin: news.standby.originId, cache: 'Miss from cloudfront' });
    expect(await viewerGets()).toEqual({ origin: news.standby.originId, cache: 'Hit from cloudfront' });
    // Back to the primary route within max-age: its own entry, still fresh.
    route(PRIMARY);
    expect(await viewerGets()).toEqual({ origin: news.primary.originId, cache: 'Hit from cloudfront' });
  });

  it('keeps the deployed policy while a change of the behaviour is InProgress', async () => {
    usePolicy(MANAGED_MEDIAPACKAGE_CACHE_POLICY_ID);
    deployMs = 3_600_000; // stays InProgress for the whole test
    usePolicy(livePolicyId);
    expect(cloudfront.distribution(distributionId).status).toBe('InProgress');
    route(PRIMARY);
    await viewerGets();
    route(STANDBY);
    expect(await viewerGets()).toEqual({ origin: news.primary.originId, cache: 'Hit from cloudfront' });
  });
});

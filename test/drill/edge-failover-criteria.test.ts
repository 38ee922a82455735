// The sandbox edge fails an origin group over only on the statuses the group lists: the deployed
// distribution's FailoverCriteria for the behaviour's group (the previous config's while an update is
// InProgress), the function's failoverCriteria for a request group. Real loopback HTTP: origins fed by
// SimChannels, the edge, the sandbox's CloudFront distribution and the real edge function.
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import { edgeKey, encodeEdgeValue } from '../../functions/domain/routing-keys.js';
import { CloudFrontService, type XmlNode } from '../../sandbox/aws/cloudfront.js';
import { Edge } from '../../sandbox/media/edge.js';
import type { MediaWorld } from '../../sandbox/media/media-world.js';
import type { SimChannel } from '../../sandbox/media/medialive-channel.js';
import { Clock, startEdgeWorld } from './edge-world.js';

const registry: Registry = readRegistryFile('config/registry.example.yml');
const news = registry.channels.find((c) => c.id === 'news-1')!;
const distributionId = news.edge.distributionId;

/** Sets the failover codes of news-1's origin group in a DistributionConfig. */
const setCodes =
  (codes: number[]) =>
  (config: XmlNode): void => {
    const groups = (config.OriginGroups as { Items: { OriginGroup: XmlNode[] } }).Items.OriginGroup;
    const group = groups.find((g) => g.Id === news.edge.originGroupId)!;
    group.FailoverCriteria = { StatusCodes: { Quantity: String(codes.length), Items: { StatusCode: codes.map(String) } } };
  };

describe('sandbox edge: origin group failover criteria', () => {
  const clock = new Clock();
  const channels = new Map<string, SimChannel>();
  const kvs = new Map<string, string>();
  let deployMs = 0;
  let cloudfront: CloudFrontService;
  let world: MediaWorld;
  const manifest = (): string => `${world.edge.url}/live/news-1/720p.m3u8`;

  async function viewerGets(): Promise<{ status: number; origin: string | undefined }> {
    world.edge.invalidate();
    const res = await request(manifest());
    await res.body.dump();
    const origin = res.headers['x-flatline-origin'];
    return { status: res.statusCode, origin: typeof origin === 'string' ? origin : undefined };
  }

  /** The primary's manifest goes stale and its origin answers 404 (MediaPackage v2 STALE_MANIFEST). */
  function primaryAnswers404(): void {
    world.feed('news-1', 'primary').staleNotFoundAfterMs = 2000;
    channels.get(`${news.primary.region}/${news.primary.channelId}`)!.applyPause(['0', '1']);
    clock.t += 4000;
  }

  beforeAll(async () => {
    cloudfront = new CloudFrontService(() => deployMs);
    cloudfront.seedFromRegistry(registry);
    world = await startEdgeWorld({ registry, cloudfront, kvs, channels, now: clock.now });
  });
  afterAll(async () => {
    cloudfront.dispose();
    await world.close();
  });
  afterEach(() => {
    kvs.clear();
    deployMs = 0;
    world.feed('news-1', 'primary').staleNotFoundAfterMs = null;
    channels.get(`${news.primary.region}/${news.primary.channelId}`)!.applyPause([]);
    world.origin(news.primary.region).setDown(false);
    cloudfront.updateConfig(distributionId, setCodes([404, 500, 502, 503, 504]));
  });

  it("fails the distribution's group over on its deployed codes only: a 404 reaches the viewer, a 503 fails over", async () => {
    cloudfront.updateConfig(distributionId, setCodes([500, 502, 503, 504]));
    const failovers = world.edge.stats.groupFailovers;

    primaryAnswers404();
    expect(await viewerGets()).toEqual({ status: 404, origin: news.primary.originId });
    expect(world.edge.stats.groupFailovers).toBe(failovers);

    world.origin(news.primary.region).setDown(true); // every request answers 503
    expect(await viewerGets()).toEqual({ status: 200, origin: news.standby.originId });
    expect(world.edge.stats.groupFailovers).toBe(failovers + 1);
  });

  it('keeps failing over on the old codes while a change of them is InProgress, and on the new ones once Deployed', async () => {
    primaryAnswers404();
    expect(await viewerGets()).toEqual({ status: 200, origin: news.standby.originId });

    deployMs = 3_600_000; // stays InProgress for the whole test
    cloudfront.updateConfig(distributionId, setCodes([500, 502, 503, 504]));
    expect(cloudfront.distribution(distributionId).status).toBe('InProgress');
    expect(await viewerGets()).toEqual({ status: 200, origin: news.standby.originId });

    // A second update restarts the deployment; this one finishes.
    deployMs = 1;
    const deployed = new Promise<void>((resolve) => {
      const off = cloudfront.onDeployed(() => {
        off();
        resolve();
      });
    });
    cloudfront.updateConfig(distributionId, setCodes([500, 502, 503, 504]));
    await deployed;
    expect(cloudfront.distribution(distributionId).status).toBe('Deployed');
    expect(await viewerGets()).toEqual({ status: 404, origin: news.primary.originId });
  });

  it("fails the function's request group over on the codes the function passed, not the distribution's", async () => {
    // The distribution's group would not fail over on a 404; the function's group (g) fails over on 404 too.
    cloudfront.updateConfig(distributionId, setCodes([500, 502, 503, 504]));
    kvs.set(edgeKey('news-1'), encodeEdgeValue({ g: [news.primary.originId, news.standby.originId] })!);
    primaryAnswers404();
    expect(await viewerGets()).toEqual({ status: 200, origin: news.standby.originId });

    // And the other way round: the distribution's group fails over on 404, a request group without 404 does not.
    cloudfront.updateConfig(distributionId, setCodes([404, 500, 502, 503, 504]));
    kvs.clear();
    const router = world.edge.router;
    world.edge.router = {
      handle: async (req) => ({
        ...(await router.handle(req)),
        originGroup: { originIds: [{ originId: news.primary.originId }, { originId: news.standby.originId }], failoverCriteria: { statusCodes: [500, 502, 503, 504] } },
      }),
    };
    try {
      expect(await viewerGets()).toEqual({ status: 404, origin: news.primary.originId });
      world.origin(news.primary.region).setDown(true);
      expect(await viewerGets()).toEqual({ status: 200, origin: news.standby.originId });
    } finally {
      world.edge.router = router;
    }
  });
});

describe('sandbox edge: an origin that does not answer', () => {
  const servers: Server[] = [];
  const listen = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  /** The standby answers 200; the group lists `codes`. */
  async function edgeWith(primaryUrl: string, codes: number[]): Promise<Edge> {
    const standbyUrl = await listen((_req, res) => res.end('#EXTM3U\n'));
    return Edge.start({
      registry,
      origins: { [news.primary.originId]: primaryUrl, [news.standby.originId]: standbyUrl },
      originGroup: () => ({ members: [news.primary.originId, news.standby.originId], failoverStatusCodes: codes }),
      originTimeoutMs: 100,
    });
  }

  it('fails over on a refused connection only when the codes list 503', async () => {
    const closed = await listen(() => undefined);
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve())); // nothing listens there now
    for (const [codes, origin] of [
      [[504], news.primary.originId],
      [[503], news.standby.originId],
    ] as const) {
      const edge = await edgeWith(closed, [...codes]);
      try {
        expect((await edge.get('/live/news-1/720p.m3u8')).headers['x-flatline-origin']).toBe(origin);
      } finally {
        await edge.close();
      }
    }
  });

  it('fails over on a timeout only when the codes list 504', async () => {
    const silent = await listen(() => undefined); // accepts, never answers
    for (const [codes, origin] of [
      [[503], news.primary.originId],
      [[504], news.standby.originId],
    ] as const) {
      const edge = await edgeWith(silent, [...codes]);
      try {
        expect((await edge.get('/live/news-1/720p.m3u8')).headers['x-flatline-origin']).toBe(origin);
      } finally {
        await edge.close();
      }
    }
  });
});

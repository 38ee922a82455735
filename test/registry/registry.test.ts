import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRegistryFile, registrySourcePath, writeCompiledRegistry } from '../../functions/domain/registry/file.js';
import {
  channelByMediaLive,
  checkCloudFrontQuotas,
  CLOUDFRONT_DEFAULT_QUOTAS,
  cloudFrontQuotaIssues,
  distributionNeeds,
  getChannel,
  loadRegistry,
  parseRegistry,
  registryPath,
  type CloudFrontQuotas,
  type Registry,
} from '../../functions/domain/registry/index.js';
import { RegistryError } from '../../functions/domain/errors.js';

const EXAMPLE = 'config/registry.example.yml';
const example = () => readRegistryFile(EXAMPLE);
const scratch = mkdtempSync(join(tmpdir(), 'flatline-registry-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('channel registry', () => {
  it('loads the example with a warm, a cold and an automatic-failback channel', () => {
    const r = example();
    expect(r.channels.map((c) => c.id)).toEqual(['news-1', 'sports-1', 'kids-1']);
    expect(getChannel(r, 'news-1').standby.mode).toBe('warm');
    expect(getChannel(r, 'sports-1').standby.mode).toBe('cold');
    expect(getChannel(r, 'kids-1').policy.failback).toBe('automatic');
    expect(getChannel(r, 'news-1').policy.staleAfterTargetDurations).toBe(1.5);
  });

  it('finds a channel by its MediaLive region and id, on either side', () => {
    const r = example();
    expect(channelByMediaLive(r, 'us-west-2', '8765432')).toMatchObject({ side: 'standby', channel: { id: 'sports-1' } });
    expect(channelByMediaLive(r, 'us-west-2', '1234567')).toBeUndefined();
  });

  it('names the channel and the field of every schema error', () => {
    const doc = structuredClone(example()) as unknown as { channels: Array<Record<string, Record<string, unknown>>> };
    doc.channels[1]!.standby!.region = 'us-east-1';
    doc.channels[2]!.edge!.kvsArn = 'not-an-arn';
    expect(() => parseRegistry(doc)).toThrow(RegistryError);
    try {
      parseRegistry(doc);
    } catch (err) {
      expect((err as Error).message).toContain('channel "sports-1": standby.region: must differ from primary.region');
      expect((err as Error).message).toContain('channel "kids-1": edge.kvsArn');
    }
  });

  it('rejects duplicate ids and unknown fields', () => {
    const r = example();
    expect(() => parseRegistry({ channels: [r.channels[0], r.channels[0]] })).toThrow(/channel "news-1": id: "news-1" is already taken by another channel \(duplicate channel id\)/);
    expect(() => parseRegistry({ channels: [{ ...r.channels[0], colour: 'red' }] })).toThrow(/channel "news-1": .*colour/);
  });

  it('declares media-quality-based origin selection (MQAR) only between two MediaPackage v2 origins', () => {
    const kids = getChannel(example(), 'kids-1');
    expect(kids.edge.originSelection).toBe('media-quality-based');
    expect(getChannel(example(), 'news-1').edge.originSelection).toBe('default');
    const v1 = { ...kids, standby: { ...kids.standby, mediaPackage: 'v1' } };
    expect(() => parseRegistry({ channels: [v1] })).toThrow(/channel "kids-1": standby\.mediaPackage: must be v2 when edge\.originSelection is media-quality-based/);
    expect(parseRegistry({ channels: [{ ...v1, edge: { ...kids.edge, originSelection: 'default' } }] }).channels[0]!.standby.mediaPackage).toBe('v1');
    expect(() => parseRegistry({ channels: [{ ...kids, edge: { ...kids.edge, originSelection: 'best' } }] })).toThrow(/channel "kids-1": edge\.originSelection/);
  });
});

type Doc = { local?: boolean; channels: Array<Record<string, Record<string, unknown>> & { id: string }> };
/** The example registry as a plain document (what a YAML file parses to), to break one field at a time. */
const exampleDoc = (): Doc => structuredClone(example()) as unknown as Doc;
const errorOf = (doc: unknown): string => {
  try {
    parseRegistry(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return (err as Error).message;
  }
  throw new Error('the registry was accepted');
};

describe('channel registry: what two channels may not share', () => {
  it('rejects two channels on one MediaLive channel (same region and channel id), naming the later one', () => {
    const doc = exampleDoc();
    doc.channels[2]!.standby!.channelId = doc.channels[0]!.standby!.channelId; // kids-1 standby = news-1 standby (both us-west-2)
    expect(errorOf(doc)).toContain('channel "kids-1": standby.channelId: MediaLive channel us-west-2/7654321 is already the standby of channel "news-1"');
  });

  it('the same numeric MediaLive id in two regions is two channels', () => {
    const doc = exampleDoc();
    doc.channels[2]!.standby!.channelId = doc.channels[0]!.primary!.channelId; // us-west-2/1234567 vs us-east-1/1234567
    expect(() => parseRegistry(doc)).not.toThrow();
  });

  it('accepts one origin shared by channels (one per MediaPackage v2 channel group and region): the KVS route is per channel', () => {
    const doc = exampleDoc();
    doc.channels[1]!.primary!.originId = doc.channels[0]!.primary!.originId;
    doc.channels[1]!.standby!.originId = doc.channels[0]!.standby!.originId;
    expect(parseRegistry(doc).channels[1]!.primary.originId).toBe('mp-use1-news-1');
  });

  it('makes the origin group optional, except for media-quality-based selection (a setting of the group)', () => {
    const doc = exampleDoc();
    delete doc.channels[0]!.edge!.originGroupId;
    expect(getChannel(parseRegistry(doc), 'news-1').edge.originGroupId).toBeUndefined();
    delete doc.channels[2]!.edge!.originGroupId;
    expect(errorOf(doc)).toContain('channel "kids-1": edge.originGroupId: is required when edge.originSelection is media-quality-based');
  });

  it('rejects one originGroupId in two channels of the same distribution, not in two distributions', () => {
    const doc = exampleDoc();
    doc.channels[2]!.edge!.originGroupId = 'og-news-1';
    expect(errorOf(doc)).toContain('channel "kids-1": edge.originGroupId: origin group "og-news-1" of distribution E2QWRUHEXAMPLE is already used by channel "news-1"');
    doc.channels[2]!.edge!.distributionId = 'E3OTHERDIST';
    expect(() => parseRegistry(doc)).not.toThrow();
  });
});

describe('channel registry: policy bounds', () => {
  it.each([
    ['standbyReadySeconds', 29, 'too small'],
    ['standbyReadySeconds', 1801, 'too big'],
    ['minDwellSeconds', -1, 'too small'],
    ['minDwellSeconds', 86_401, 'too big'],
  ])('rejects %s = %d (%s), naming the channel and the field', (field, value) => {
    const doc = exampleDoc();
    doc.channels[1]!.policy![field] = value;
    expect(errorOf(doc)).toMatch(new RegExp(`channel "sports-1": policy\\.${field}: `));
  });

  it.each([
    ['standbyReadySeconds', 30],
    ['standbyReadySeconds', 1800],
    ['minDwellSeconds', 0],
    ['minDwellSeconds', 86_400],
  ])('accepts %s = %d (at the bound)', (field, value) => {
    const doc = exampleDoc();
    doc.channels[1]!.policy![field] = value;
    expect(parseRegistry(doc).channels[1]!.policy[field as 'minDwellSeconds']).toBe(value);
  });
});

describe('channel registry: manifest URLs', () => {
  const withUrl = (url: string, path: 'primary' | 'standby' | 'edge' = 'primary', local?: boolean): Doc => {
    const doc = exampleDoc();
    doc.channels[0]![path]!.manifestUrl = url;
    if (local !== undefined) doc.local = local;
    return doc;
  };

  it('must be https', () => {
    expect(errorOf(withUrl('http://origin.example.com/live/index.m3u8'))).toContain('channel "news-1": primary.manifestUrl: must be https');
    expect(errorOf(withUrl('http://d111111abcdef8.cloudfront.net/live/news-1/index.m3u8', 'edge'))).toContain('channel "news-1": edge.manifestUrl: must be https');
  });

  it.each([
    'https://169.254.169.254/latest/meta-data/',
    'https://2852039166/latest/meta-data/', // 169.254.169.254 as one decimal number
    'https://0xa9.254.169.254/', // ... and in hex
    'https://169.254.170.2/v2/credentials', // the ECS task metadata endpoint, also link-local
    'https://[fd00:ec2::254]/latest/meta-data/',
    'https://[::ffff:169.254.169.254]/',
    'https://[fe80::1]/',
  ])('never points at a link-local or instance metadata address: %s (not even in a local registry)', (url) => {
    expect(errorOf(withUrl(url, 'standby'))).toContain('channel "news-1": standby.manifestUrl: points at a link-local or instance metadata address');
    expect(errorOf(withUrl(url, 'standby', true))).toContain('channel "news-1": standby.manifestUrl: points at a link-local or instance metadata address');
  });

  it.each(['https://127.0.0.1:8080/x.m3u8', 'https://127.1.2.3/x.m3u8', 'https://localhost/x.m3u8', 'https://LOCALHOST./x.m3u8', 'https://[::1]/x.m3u8', 'https://0.0.0.0/x.m3u8'])(
    'never points at a loopback address in a deployable registry: %s',
    (url) => {
      expect(errorOf(withUrl(url))).toContain('channel "news-1": primary.manifestUrl: points at a loopback address');
    },
  );

  it('a local registry (the sandbox, the tests) may use http on loopback', () => {
    const doc = withUrl('http://127.0.0.1:8080/live/news-1/index.m3u8', 'primary', true);
    doc.channels[0]!.edge!.manifestUrl = 'http://localhost:8081/live/news-1/index.m3u8';
    const r = parseRegistry(doc);
    expect(r.local).toBe(true);
    expect(r.channels[0]!.primary.manifestUrl).toBe('http://127.0.0.1:8080/live/news-1/index.m3u8');
  });

  it('local must be a boolean', () => {
    expect(errorOf({ ...exampleDoc(), local: 'yes' })).toContain('local: ');
  });
});

describe('the registry the handlers load', () => {
  it('is the source compiled to JSON: the same channels, defaults filled in', () => {
    const compiled = writeCompiledRegistry(example(), join(scratch, 'dist', 'registry.example.json'));
    expect(loadRegistry(compiled)).toEqual(example());
    expect(getChannel(loadRegistry(compiled), 'news-1').policy.standbyReadySeconds).toBe(600);
  });

  it('refuses the YAML source with an error that names the file and says where the compiled one comes from', () => {
    expect(() => loadRegistry(EXAMPLE)).toThrow(RegistryError);
    expect(() => loadRegistry(EXAMPLE)).toThrow(/registry config\/registry\.example\.yml is not JSON .*serverless package.*dist\/registry\.<stage>\.json/);
  });

  it('is found at FLATLINE_REGISTRY, else at the stage\'s compiled file; the tools read the stage\'s source', () => {
    expect(registryPath({ FLATLINE_REGISTRY: '/tmp/r.json', FLATLINE_STAGE: 'prod' })).toBe('/tmp/r.json');
    expect(registryPath({ FLATLINE_STAGE: 'prod' })).toBe('dist/registry.prod.json');
    expect(registrySourcePath({ FLATLINE_STAGE: 'prod' })).toBe('config/registry.prod.yml');
    expect(registrySourcePath({ FLATLINE_REGISTRY: '/tmp/r.json' })).toBe('/tmp/r.json');
  });
});

describe("channel registry: CloudFront's per-distribution quotas", () => {
  /** `count` channels on one distribution; `withGroup(i)` decides which declare an origin group. */
  const fleet = (count: number, opts: { sharedOrigins: boolean; withGroup: (i: number) => boolean }): Registry => {
    const template = exampleDoc().channels[0]!;
    const channels = Array.from({ length: count }, (_, i) => {
      const c = structuredClone(template);
      c.id = `ch-${i}`;
      c.primary = { ...c.primary, channelId: String(1_000_000 + i), originId: opts.sharedOrigins ? 'mp-use1' : `mp-use1-ch-${i}` };
      c.standby = { ...c.standby, channelId: String(2_000_000 + i), originId: opts.sharedOrigins ? 'mp-usw2' : `mp-usw2-ch-${i}` };
      c.edge = { ...c.edge, originGroupId: `og-ch-${i}` };
      if (!opts.withGroup(i)) delete c.edge.originGroupId;
      return c;
    });
    return parseRegistry({ channels });
  };
  const messages = (r: Registry, quotas?: CloudFrontQuotas) => cloudFrontQuotaIssues(r, quotas).map((i) => `${i.path.join('.')}: ${i.message}`);

  it('1,000 channels on two shared origins, 10 with their own origin group, fit the defaults', () => {
    const r = fleet(1000, { sharedOrigins: true, withGroup: (i) => i < 10 });
    expect(cloudFrontQuotaIssues(r)).toEqual([]);
    expect(distributionNeeds(r)).toEqual([{ distributionId: 'E2QWRUHEXAMPLE', origins: 2, originGroups: 10, cacheBehaviors: 11 }]);
  });

  it('names the first channel and field over each quota, with what the distribution needs', () => {
    const r = fleet(13, { sharedOrigins: false, withGroup: (i) => i < 11 });
    const [groups, origins] = messages(r); // in channel order
    expect(origins).toMatch(/^channels\.12\.standby\.originId: origin "mp-usw2-ch-12" is origin 26 of distribution E2QWRUHEXAMPLE, over its quota of 25 origins per distribution \(the registry declares 26\)/);
    expect(groups).toMatch(/^channels\.10\.edge\.originGroupId: origin group "og-ch-10" is origin group 11 of distribution E2QWRUHEXAMPLE, over its quota of 10 origin groups per distribution \(the registry declares 11\)/);
    expect(messages(r)).toHaveLength(2);
  });

  it('counts each distribution on its own, and takes raised quotas', () => {
    const r = fleet(12, { sharedOrigins: true, withGroup: () => true });
    expect(messages(r)).toHaveLength(1);
    const raised = { ...CLOUDFRONT_DEFAULT_QUOTAS, originGroupsPerDistribution: 12 };
    expect(cloudFrontQuotaIssues(r, raised)).toEqual([]);
    // 12 own behaviours, and none shared (every channel has its group): over a quota of 11.
    expect(messages(r, { ...raised, cacheBehaviorsPerDistribution: 11 })).toEqual([
      expect.stringContaining('channels.11.edge.originGroupId: distribution E2QWRUHEXAMPLE needs at least 12 cache behaviours'),
    ]);
    const doc = structuredClone(r) as unknown as Doc;
    doc.channels.slice(6).forEach((c) => (c.edge!.distributionId = 'E3OTHERDIST'));
    expect(cloudFrontQuotaIssues(parseRegistry(doc))).toEqual([]);
  });

  it('refuses it with a RegistryError that names the channel', () => {
    const r = fleet(11, { sharedOrigins: true, withGroup: () => true });
    expect(() => checkCloudFrontQuotas(r, CLOUDFRONT_DEFAULT_QUOTAS, 'config/registry.x.yml')).toThrow(RegistryError);
    expect(() => checkCloudFrontQuotas(r, CLOUDFRONT_DEFAULT_QUOTAS, 'config/registry.x.yml')).toThrow(
      /config\/registry\.x\.yml does not fit CloudFront's quotas:\n {2}channel "ch-10": edge\.originGroupId: origin group "og-ch-10" is origin group 11/,
    );
  });
});

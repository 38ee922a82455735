// The registry is the source of truth of the deployable: `serverless package` must refuse an invalid one,
// with the registry's own message (channel + field), before anything is bundled.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { channelsWithOwnOriginGroups, makeServiceDir, REPO, runServerless, type ServiceDir } from './service-dir.js';

const example = readFileSync(join(REPO, 'config', 'registry.example.yml'), 'utf8');
let service: ServiceDir | undefined;
afterEach(() => service?.cleanup());

describe('serverless package with an invalid registry', () => {
  it('fails naming the channel and the field', async () => {
    // sports-1's primary MediaLive channel id is not numeric.
    const broken = example.replace('channelId: "2345678"', 'channelId: "not-a-number"');
    expect(broken).not.toBe(example);
    service = makeServiceDir('broken', broken);
    const run = await runServerless(service.dir, ['package', '--stage', 'broken', '--package', service.out]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('channel "sports-1": primary.channelId: the numeric MediaLive channel id');
    expect(existsSync(service.out)).toBe(false);
  });

  it('fails on a cross-field rule too (standby in the primary region)', async () => {
    const broken = example.replace(/(id: kids-1[\s\S]*?standby:\s*\n\s*region: )us-west-2/, '$1us-east-1');
    expect(broken).not.toBe(example);
    service = makeServiceDir('samregion', broken);
    const run = await runServerless(service.dir, ['package', '--stage', 'samregion', '--package', service.out]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('channel "kids-1": standby.region: must differ from primary.region');
  });

  it('refuses a local registry (http on loopback is for the sandbox only)', async () => {
    const local = `local: true\n${example.replace('https://abc123.egress.x1y2z3.mediapackagev2.us-east-1.amazonaws.com/out/v1/live/news-1/hls/index.m3u8', 'http://127.0.0.1:8080/live/news-1/index.m3u8')}`;
    expect(local).toContain('http://127.0.0.1:8080/');
    service = makeServiceDir('local', local);
    const run = await runServerless(service.dir, ['package', '--stage', 'local', '--package', service.out]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('config/registry.local.yml: local: true describes a local world');
    expect(existsSync(service.out)).toBe(false);
  });

  it('fails on a metadata address in a manifest URL', async () => {
    const broken = example.replace('https://def456.egress.a1b2c3.mediapackagev2.us-west-2.amazonaws.com/out/v1/live/kids-1/hls/index.m3u8', 'https://169.254.169.254/latest/meta-data/');
    expect(broken).not.toBe(example);
    service = makeServiceDir('imds', broken);
    const run = await runServerless(service.dir, ['package', '--stage', 'imds', '--package', service.out]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('channel "kids-1": standby.manifestUrl: points at a link-local or instance metadata address (169.254.169.254)');
  });

  it('fails when the stage has no registry at all', async () => {
    service = makeServiceDir('example');
    const run = await runServerless(service.dir, ['package', '--stage', 'nosuchstage', '--package', service.out]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('stage "nosuchstage" has no channel registry: create config/registry.nosuchstage.yml');
  });

  it("fails when a distribution's channels need more origin groups than CloudFront's quota, naming the first one over", async () => {
    const doc = parse(example) as { channels: Array<Record<string, Record<string, unknown>>> };
    const news = doc.channels[0]!;
    doc.channels = channelsWithOwnOriginGroups(news, 11);
    service = makeServiceDir('groups', stringify(doc));
    const run = await runServerless(service.dir, ['package', '--stage', 'groups', '--package', service.out]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("config/registry.groups.yml does not fit CloudFront's quotas:");
    expect(run.output).toContain('channel "ch-10": edge.originGroupId: origin group "og-ch-10" is origin group 11 of distribution E2QWRUHEXAMPLE, over its quota of 10 origin groups per distribution');
    expect(existsSync(service.out)).toBe(false);
  });
});

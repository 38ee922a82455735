// `flatline edge sync` against the AWS sandbox (KVS over its wire protocol), with the registry the sandbox
// environment names (FLATLINE_REGISTRY).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../cli/commands/edge.js';
import { MANAGED_MEDIAPACKAGE_CACHE_POLICY_ID } from '../../edge/cache-policy.js';
import { edgeKey, legacyRouteKey, legacySlateKey } from '../../functions/domain/routing-keys.js';
import { items } from '../../sandbox/aws/cloudfront.js';
import { startTestbed, type Testbed } from '../../sandbox/testkit/state-machine-testbed.js';

let bed: Testbed;
let out: string[];
beforeEach(async () => {
  bed = await startTestbed();
  out = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void out.push(line));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await bed.stop();
});

describe('flatline edge sync', () => {
  it('migrates the legacy keys in two steps, --plan first, and says what it did', async () => {
    const { kvsArn } = bed.channel('news-1').edge;
    bed.sandbox.kvs.set(kvsArn, legacyRouteKey('news-1'), 'standby');
    bed.sandbox.kvs.set(kvsArn, legacySlateKey('kids-1'), 'on');

    expect(await run(['sync', '--from-legacy', '--plan'])).toBe(0);
    expect(out).toContain('would change kvs:edge:news-1: absent -> standby (mp-usw2-news-1)');
    // sports-1 too: on its primary, with an origin group, it gets the pinned value.
    expect(out).toContain('would change kvs:edge:sports-1: absent -> primary');
    expect(out.at(-1)).toMatch(/^3 channels in arn:aws:cloudfront::123456789012:key-value-store\/\S+: 3 would change, 0 already right$/);
    expect(bed.sandbox.calls.filter((c) => c.mutating)).toEqual([]);

    expect(await run(['sync', '--from-legacy'])).toBe(0);
    expect(await run(['sync', '--delete-legacy'])).toBe(0);
    expect(Object.keys(bed.sandbox.kvs.snapshot(kvsArn)).sort()).toEqual([edgeKey('kids-1'), edgeKey('news-1'), edgeKey('sports-1')]);
    out.length = 0;
    expect(await run(['sync'])).toBe(0);
    expect(out).toEqual([expect.stringMatching(/: 0 changed, 3 already right$/)]);
  });

  it("warns, without failing, when a /live/* behaviour's cache policy leaves the route out of the cache key", async () => {
    const { distributionId } = bed.channel('news-1').edge;
    bed.sandbox.cloudfront.updateConfig(distributionId, (config) => {
      for (const b of items(config.CacheBehaviors, 'CacheBehavior')) b.CachePolicyId = MANAGED_MEDIAPACKAGE_CACHE_POLICY_ID;
    });
    expect(await run(['sync', '--plan'])).toBe(0);
    expect(out).toContain(
      `warning: distribution ${distributionId}: behaviour /live/*: cache policy ${MANAGED_MEDIAPACKAGE_CACHE_POLICY_ID} does not include x-flatline-route: a route change waits for the cached playlist to expire (use the stack's EdgeCachePolicyId)`,
    );
    expect(bed.sandbox.calls.filter((c) => c.mutating)).toEqual([]);
  });

  it('refuses both migration steps at once, and a bad command line, with exit code 2', async () => {
    expect(await run(['sync', '--from-legacy', '--delete-legacy'])).toBe(2);
    expect(out.at(-1)).toMatch(/two steps of the migration/);
    expect(await run(['sink'])).toBe(2);
    expect(await run(['sync', '--bogus'])).toBe(2);
    expect(bed.sandbox.calls.filter((c) => c.mutating)).toEqual([]);
  });
});

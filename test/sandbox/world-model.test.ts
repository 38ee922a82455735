// The realistic world's parts, against the real pieces: best-effort MediaLive events, per-location KVS
// replicas, CloudFront's deployed config, a blackholed region reached by the real SDK client, and the
// scenario schema's world fields.
import { DescribeChannelCommand, MediaLiveClient } from '@aws-sdk/client-medialive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BestEffortDelivery } from '../../sandbox/aws/best-effort.js';
import { CloudFrontService } from '../../sandbox/aws/cloudfront.js';
import { seededRandom } from '../../sandbox/aws/faults.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';
import { KvsReplica } from '../../sandbox/media/edge-locations.js';
import { LambdaRuntime } from '../../sandbox/aws/lambda-runtime.js';
import { parseScenario } from '../../sandbox/drill/scenario.js';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import { WORLD_MODELS, WORLD_SOURCES, compressedMs, lambdaInitMs, worldModel } from '../../sandbox/world-model.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('world model', () => {
  it('declares a source or an assumption for every number, and realistic is kinder in nothing', () => {
    for (const key of Object.keys(WORLD_MODELS.realistic)) expect(WORLD_SOURCES[key as keyof typeof WORLD_SOURCES]).toMatch(/https:\/\/docs\.aws\.amazon\.com|assumption|statemachines/);
    const w = worldModel('realistic', { edgeLocations: 5 });
    expect(w).toMatchObject({ name: 'realistic', edgeLocations: 5, overridden: ['edgeLocations'] });
    expect(compressedMs(w, 120)).toBe(12_000);
    expect(compressedMs(w, 20)).toBe(20_000); // 30 s and under are never compressed
  });

  it('scenarios default to realistic, take overrides, and name a bad override field', () => {
    const base = { name: 'x', title: 't', description: 'd', timeline: [], expectations: [{ expect: 'no-failover' }] };
    expect(parseScenario(base, 'x.yml').world).toBe('realistic');
    expect(parseScenario({ ...base, world: 'ideal', worldOverrides: { kvsPropagationS: [5, 10] } }, 'x.yml').worldOverrides).toEqual({ kvsPropagationS: [5, 10] });
    expect(() => parseScenario({ ...base, worldOverrides: { kvsPropagationS: [10, 5] } }, 'x.yml')).toThrow(/x\.yml[\s\S]*worldOverrides\.kvsPropagationS/);
    expect(() => parseScenario({ ...base, world: 'kind' }, 'x.yml')).toThrow(/world/);
  });
});

describe('best-effort MediaLive events', () => {
  const run = async (seed: number): Promise<number[]> => {
    const got: number[] = [];
    const d = new BestEffortDelivery<number>((e) => got.push(e), { delayS: [0, 0.05], dropProbability: 0.2, duplicateProbability: 0.2 }, seededRandom(seed));
    for (let i = 0; i < 50; i++) d.publish(i);
    await d.idle();
    expect(d.stats.published).toBe(50);
    expect(got.length).toBe(50 - d.stats.dropped + d.stats.duplicated);
    return got;
  };

  it('drops, duplicates and reorders, the same way for the same seed', async () => {
    const a = await run(7);
    const b = await run(7);
    // The same events lost and doubled (arrival order between near-equal delays is up to the timers).
    expect([...a].sort((x, y) => x - y)).toEqual([...b].sort((x, y) => x - y));
    expect(new Set(a).size).toBeLessThan(50); // some lost
    expect(a.length).toBeGreaterThan(new Set(a).size); // some twice
    expect(a).not.toEqual([...a].sort((x, y) => x - y)); // some out of order
  });
});

describe('KVS replica at an edge location', () => {
  it('shows a write only after its delay, and never lets an older write overtake a newer one', async () => {
    const delays = [60, 5];
    const seen: string[] = [];
    const r = new KvsReplica(0, { 'route:a': 'primary' }, () => delays.shift() ?? 0, (v) => seen.push(`${v.key}=${v.value}`));
    r.write('route:a', 'standby');
    r.write('route:a', 'primary');
    expect(r.get('route:a')).toBe('primary'); // nothing visible yet: the old value
    await sleep(20);
    expect(r.get('route:a')).toBe('primary'); // the second write landed first
    await sleep(80);
    expect(r.get('route:a')).toBe('primary'); // the first, older write arrived late and was ignored
    expect(seen).toEqual(['route:a=primary']);
  });
});

describe('CloudFront deploys', () => {
  it('keeps the edge locations on the deployed origin-group order while the update is InProgress', async () => {
    const cf = new CloudFrontService(80);
    cf.seedFromRegistry(readRegistryFile('config/registry.example.yml'));
    const c = readRegistryFile('config/registry.example.yml').channels[0]!;
    const before = cf.originOrder(c.edge.distributionId, c.edge.originGroupId);
    cf.updateConfig(c.edge.distributionId, (config) => {
      const items = JSON.stringify(config);
      expect(items).toContain(before[0]);
      const swap = (n: unknown): void => {
        if (!n || typeof n !== 'object') return;
        const o = n as Record<string, unknown>;
        if (o.Id === c.edge.originGroupId && o.Members) {
          const m = (o.Members as { Items: { OriginGroupMember: unknown[] } }).Items.OriginGroupMember;
          m.reverse();
        } else Object.values(o).forEach(swap);
      };
      swap(config);
    });
    expect(cf.originOrder(c.edge.distributionId, c.edge.originGroupId)).toEqual([before[1], before[0]]);
    expect(cf.distribution(c.edge.distributionId).status).toBe('InProgress');
    expect(cf.deployedOriginOrder(c.edge.distributionId, c.edge.originGroupId)).toEqual(before);
    await sleep(150);
    expect(cf.distribution(c.edge.distributionId).status).toBe('Deployed');
    expect(cf.deployedOriginOrder(c.edge.distributionId, c.edge.originGroupId)).toEqual([before[1], before[0]]);
    cf.dispose();
  });
});

describe('region blackhole', () => {
  let sandbox: AwsSandbox;
  beforeAll(async () => {
    sandbox = await startAwsSandbox({ registryPath: 'config/registry.example.yml', serverlessPath: 'test/sandbox/fixtures/serverless.yml' });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('accepts the connection and never answers: the caller ends at its own request timeout, other regions answer', async () => {
    sandbox.faults.add({ region: 'us-east-1', kind: 'blackhole' });
    const client = (region: string): MediaLiveClient =>
      new MediaLiveClient({ region, endpoint: sandbox.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1, requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true } });
    await expect(client('us-east-1').send(new DescribeChannelCommand({ ChannelId: '1234567' }))).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sandbox.calls.at(-1)).toMatchObject({ service: 'medialive', region: 'us-east-1', fault: 'blackhole' });
    await expect(client('us-west-2').send(new DescribeChannelCommand({ ChannelId: '7654321' }))).resolves.toMatchObject({ State: 'RUNNING' });
  });
});

describe('Lambda timeouts', () => {
  const slow = { key: 'slow', handler: 'test/sandbox/fixtures/handlers.slow', timeoutSeconds: 0.2 };
  const ctx = { stage: 't', region: 'us-west-2', service: 'flatline' };

  it('ends an invocation at its configured timeout with Sandbox.Timedout; within it, the answer comes back', async () => {
    const rt = new LambdaRuntime(process.cwd(), { slow }, ctx, { enforceTimeouts: true });
    await expect(rt.invoke('slow', { ms: 1000 })).rejects.toMatchObject({ name: 'Sandbox.Timedout', message: /Task timed out after 0\.20 seconds/ });
    await expect(rt.invoke('slow', { ms: 10 })).resolves.toEqual({ sleptMs: 10 });
    expect(rt.invocations.map((i) => [i.ok, i.error?.name])).toEqual([
      [false, 'Sandbox.Timedout'],
      [true, undefined],
    ]);
  });

  it('a cold start charges the init the world model gives the function (not the in-process import), once until a timeout', async () => {
    const w = worldModel('realistic', { lambdaInitMs: { slow: 7 } });
    const rt = new LambdaRuntime(process.cwd(), { slow }, ctx, { enforceTimeouts: true, coldStartMs: (key) => lambdaInitMs(w, key) });
    await rt.invoke('slow', { ms: 1 });
    await rt.invoke('slow', { ms: 1 });
    await expect(rt.invoke('slow', { ms: 1000 })).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    await rt.invoke('slow', { ms: 1 }); // a timed-out environment is reset: the init again
    expect(rt.invocations.map((i) => i.initMs)).toEqual([7, undefined, undefined, 7]);
    // Every deployed function has its measured init; one not listed pays the largest.
    expect(lambdaInitMs(WORLD_MODELS.realistic, 'checkManifestFresh')).toBe(52);
    expect(lambdaInitMs(WORLD_MODELS.realistic, 'unlisted')).toBe(Math.max(...Object.values(WORLD_MODELS.realistic.lambdaInitMs)));
  });

  it('without enforcement (ideal world) the invocation runs to its end', async () => {
    const rt = new LambdaRuntime(process.cwd(), { slow }, ctx);
    await expect(rt.invoke('slow', { ms: 300 })).resolves.toEqual({ sleptMs: 300 });
  });
});

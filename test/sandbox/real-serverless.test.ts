// The sandbox on the project's REAL serverless.yml: triage's rules, both state machines with every Task mapped
// to its handler module, and one operator-requested failover end to end (PutEvents -> triage -> StartExecution
// -> the real failover ASL and step handlers -> KVS + origin group + SNS), with manifests served on loopback.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { parseRegistry, type Registry } from '../../functions/domain/registry/index.js';
import { edgeKey, storedEdgeState } from '../../functions/domain/routing-keys.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';
import { LiveOrigin } from '../../sandbox/testkit/live-origin.js';

let sandbox: AwsSandbox;
let origin: LiveOrigin;
let registry: Registry;
let dir: string;

beforeAll(async () => {
  origin = new LiveOrigin({ segmentS: 1, renditions: ['720p'] });
  await origin.start();
  // The example registry with every manifest URL served fresh on loopback.
  const doc = parse(readFileSync('config/registry.example.yml', 'utf8')) as { local?: boolean; channels: Array<Record<string, Record<string, unknown>> & { id: string }> };
  doc.local = true;
  for (const c of doc.channels) for (const path of ['primary', 'standby', 'edge'] as const) c[path]!.manifestUrl = origin.url(`${c.id}/${path}`);
  registry = parseRegistry(doc, 'loopback registry');
  dir = mkdtempSync(join(tmpdir(), 'flatline-sandbox-'));
  const registryPath = join(dir, 'registry.yml');
  writeFileSync(registryPath, stringify(registry));
  sandbox = await startAwsSandbox({ registry, registryPath, serverlessPath: 'serverless.yml', stage: 'example', sfn: { timeScale: 0.01, waitMs: 20 } });
  sandbox.applyEnv();
});
afterAll(async () => {
  await sandbox?.settle();
  await sandbox?.stop();
  await origin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the real serverless.yml', () => {
  it("routes MediaLive events of the registry's account and regions (resolved from the deploy variables) to triage", () => {
    const medialive = sandbox.serverless!.rules.find((r) => r.functionKey === 'triage' && (r.pattern.source as string[])[0] === 'aws.medialive')!;
    const regions = [...new Set(registry.channels.flatMap((c) => [c.primary.region, c.standby.region]))].sort();
    expect(medialive.pattern.region).toEqual(regions);
    expect(medialive.pattern.account).toEqual(['123456789012']);
    // No channel list: triage checks membership (and dead-letters an unknown channel with the reason).
    expect(medialive.pattern).not.toHaveProperty('resources');
    expect(sandbox.serverless!.rules.filter((r) => r.functionKey === 'triage')).toHaveLength(4);
  });

  it('maps every Task of both state machines to a function of serverless.yml', () => {
    for (const key of ['failover', 'failback']) {
      const tasks = sandbox.sfn.taskFunctions(key);
      expect(Object.keys(tasks).length).toBeGreaterThan(3);
      for (const [state, fn] of Object.entries(tasks)) {
        expect({ state, fn }).toEqual({ state, fn: expect.any(String) });
        expect(sandbox.serverless!.functions[fn!]?.handler).toMatch(/^functions\/steps\//);
      }
    }
    expect(sandbox.env.FAILOVER_STATE_MACHINE_ARN).toBe('arn:aws:states:us-west-2:123456789012:stateMachine:' + sandbox.serverless!.stateMachines.failover!.name);
  });

  it('runs an operator-requested failover end to end', async () => {
    const news = registry.channels.find((c) => c.id === 'news-1')!;
    const event = JSON.parse(readFileSync('events/ops-failover-requested.json', 'utf8')) as { source: string; 'detail-type': string; detail: unknown };
    const out = await awsClients('tool').eventBridge().send(
      new PutEventsCommand({ Entries: [{ Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail) }] }),
    );
    expect(out.FailedEntryCount).toBe(0);
    await sandbox.settle();
    expect(sandbox.deadLetters).toEqual([]);
    const executions = sandbox.sfn.executions();
    expect(executions.map((e) => [e.stateMachineKey, e.status, e.error])).toEqual([['failover', 'SUCCEEDED', undefined]]);
    expect(storedEdgeState(sandbox.kvs.get(news.edge.kvsArn, edgeKey('news-1'))).route).toBe('standby');
    expect(sandbox.cloudfront.originOrder(news.edge.distributionId, news.edge.originGroupId)).toEqual([news.standby.originId, news.primary.originId]);
    expect(sandbox.sns.messages.length).toBeGreaterThan(0);
    const counts = sandbox.callCounts();
    expect(counts.states).toBeGreaterThan(0);
    expect(counts['cloudfront-keyvaluestore']).toBeGreaterThan(0);
  });
});

// The contract with the control plane, end to end in-process: the REAL route/slate reconcilers (what the
// setEdgeRoute / setSlate steps run) write through the SDK into the AWS sandbox's KeyValueStore (the real wire
// protocol, SigV4A and ETags), and the REAL built function reads that store through the harness.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildEdgeRouter } from '../../edge/build.js';
import { loadEdgeRouter, type EdgeRouter } from '../../edge/harness.js';
import { kvsClient } from '../../functions/lib/kvs-client.js';
import { setEdgeRoute, setSlate } from '../../functions/domain/reconcilers/edge-route.js';
import type { Channel } from '../../functions/domain/registry/index.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';
import { exampleRegistry } from './registries.js';

const registry = exampleRegistry();
const kvsArns = [...new Set(registry.channels.map((c) => c.edge.kvsArn))];
let sandbox: AwsSandbox;
let edge: EdgeRouter;
/** Keys written (put) since the test began, in order. */
let written: string[] = [];

const storeKeys = (): string[] => kvsArns.flatMap((arn) => Object.keys(sandbox.kvs.snapshot(arn)));

beforeAll(async () => {
  sandbox = await startAwsSandbox({ registry, serverlessPath: false });
  sandbox.applyEnv();
  sandbox.kvs.onChange((c) => {
    if (c.value !== undefined) written.push(c.key);
  });
  // The example registry's channels share one store, which the function reads.
  const [arn] = kvsArns;
  edge = loadEdgeRouter(buildEdgeRouter(registry).code, { kvs: (key) => sandbox.kvs.get(arn!, key) });
});
afterAll(async () => {
  await sandbox.stop();
});
beforeEach(() => {
  for (const arn of kvsArns) for (const key of Object.keys(sandbox.kvs.snapshot(arn))) sandbox.kvs.set(arn, key, undefined);
  written = [];
});

const manifest = (c: Channel): string => `/live/${c.id}/index.m3u8`;

describe.each(registry.channels.map((c) => [c.id, c] as const))('channel %s', (_id, channel) => {
  it('setEdgeRoute(standby) moves the edge to the standby origin; setEdgeRoute(primary) and a rollback to absent move it back', async () => {
    await setEdgeRoute({ channelId: channel.id, kvsArn: channel.edge.kvsArn, route: 'standby', mode: 'live', kvs: kvsClient('tool') });
    expect((await edge.handle({ uri: manifest(channel) })).originId).toBe(channel.standby.originId);

    await setEdgeRoute({ channelId: channel.id, kvsArn: channel.edge.kvsArn, route: 'primary', mode: 'live', kvs: kvsClient('tool') });
    expect((await edge.handle({ uri: manifest(channel) })).originId).toBeNull();

    await setEdgeRoute({ channelId: channel.id, kvsArn: channel.edge.kvsArn, route: null, mode: 'live', kvs: kvsClient('tool') });
    expect(storeKeys()).toEqual([]);
    expect((await edge.handle({ uri: manifest(channel) })).originId).toBeNull();
  });

  it('setSlate(on) puts manifests (not segments) on the slate; setSlate(off) takes them off', async () => {
    await setSlate({ channelId: channel.id, kvsArn: channel.edge.kvsArn, on: true, mode: 'live', kvs: kvsClient('tool') });
    expect((await edge.handle({ uri: manifest(channel) })).uri).toBe(channel.edge.slatePath);
    expect((await edge.handle({ uri: `/live/${channel.id}/seg_7.ts` })).uri).toBe(`/live/${channel.id}/seg_7.ts`);

    await setSlate({ channelId: channel.id, kvsArn: channel.edge.kvsArn, on: false, mode: 'live', kvs: kvsClient('tool') });
    expect((await edge.handle({ uri: manifest(channel) })).uri).toBe(manifest(channel));
  });

  it('plan mode writes nothing, so the edge does not move', async () => {
    const report = await setEdgeRoute({ channelId: channel.id, kvsArn: channel.edge.kvsArn, route: 'standby', mode: 'plan', kvs: kvsClient('tool') });
    expect(report.changes).toHaveLength(1);
    expect((await edge.handle({ uri: manifest(channel) })).originId).toBeNull();
  });

  it('every key the steps write is a key the function reads', async () => {
    await setEdgeRoute({ channelId: channel.id, kvsArn: channel.edge.kvsArn, route: 'standby', mode: 'live', kvs: kvsClient('tool') });
    await setSlate({ channelId: channel.id, kvsArn: channel.edge.kvsArn, on: true, mode: 'live', kvs: kvsClient('tool') });
    const read = (await edge.handle({ uri: manifest(channel) })).kvsReads;
    expect(written.length).toBe(2);
    expect([...written].sort()).toEqual([...read].sort());
  });
});

// The contract with the control plane, end to end in-process: the REAL route/slate reconcilers (what the
// setEdgeRoute / setSlate steps run) write through the SDK into a store, and the REAL built function reads that
// store through the harness. The SDK's KVS calls are answered from a Map by aws-sdk-client-mock (the sandbox's
// wire-level KVS belongs to the drill tests).
import {
  CloudFrontKeyValueStoreClient,
  DeleteKeyCommand,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  PutKeyCommand,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildEdgeRouter } from '../../edge/build.js';
import { loadEdgeRouter, type EdgeRouter } from '../../edge/harness.js';
import { kvsClient } from '../../functions/lib/kvs-client.js';
import { setEdgeRoute, setSlate } from '../../functions/domain/reconcilers/edge-route.js';
import type { Channel } from '../../functions/domain/registry/index.js';
import { exampleRegistry } from './registries.js';

const registry = exampleRegistry();
const store = new Map<string, string>();
const kvsMock = mockClient(CloudFrontKeyValueStoreClient);
let edge: EdgeRouter;

function notFound(key: string): Error {
  return Object.assign(new Error(`key ${key} not found`), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
}

beforeAll(() => {
  edge = loadEdgeRouter(buildEdgeRouter(registry).code, { kvs: store });
});
afterAll(() => {
  kvsMock.restore();
});
beforeEach(() => {
  store.clear();
  kvsMock.reset();
  kvsMock.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'etag-1', ItemCount: store.size });
  kvsMock.on(GetKeyCommand).callsFake((input: { Key: string }) => {
    const value = store.get(input.Key);
    if (value === undefined) throw notFound(input.Key);
    return { Key: input.Key, Value: value, ETag: 'etag-1' };
  });
  kvsMock.on(PutKeyCommand).callsFake((input: { Key: string; Value: string }) => {
    store.set(input.Key, input.Value);
    return { Key: input.Key, ETag: 'etag-2' };
  });
  kvsMock.on(DeleteKeyCommand).callsFake((input: { Key: string }) => {
    if (!store.delete(input.Key)) throw notFound(input.Key);
    return { ETag: 'etag-3' };
  });
});

const manifest = (c: Channel): string => `/live/${c.id}/index.m3u8`;

describe.each(registry.channels.map((c) => [c.id, c] as const))('channel %s', (_id, channel) => {
  it('setEdgeRoute(standby) moves the edge to the standby origin; setEdgeRoute(primary) and a rollback to absent move it back', async () => {
    await setEdgeRoute({ channelId: channel.id, kvsArn: channel.edge.kvsArn, route: 'standby', mode: 'live', kvs: kvsClient('tool') });
    expect((await edge.handle({ uri: manifest(channel) })).originId).toBe(channel.standby.originId);

    await setEdgeRoute({ channelId: channel.id, kvsArn: channel.edge.kvsArn, route: 'primary', mode: 'live', kvs: kvsClient('tool') });
    expect((await edge.handle({ uri: manifest(channel) })).originId).toBeNull();

    await setEdgeRoute({ channelId: channel.id, kvsArn: channel.edge.kvsArn, route: null, mode: 'live', kvs: kvsClient('tool') });
    expect(store.size).toBe(0);
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
    const written = kvsMock.commandCalls(PutKeyCommand).map((call) => call.args[0].input.Key);
    const read = (await edge.handle({ uri: manifest(channel) })).kvsReads;
    expect(written.length).toBe(2);
    expect([...written].sort()).toEqual([...read].sort());
  });
});

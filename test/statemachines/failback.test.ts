// The REAL failback ASL against the AWS sandbox, starting from a real failover.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routeKey, slateKey } from '../../functions/domain/routing-keys.js';
import { run, startWorld, TOPIC_ARN, type World } from './world.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.stop();
});

const kvs = (id: string) => world.sandbox.kvs.snapshot(world.channel(id).edge.kvsArn);
const order = (id: string) => world.sandbox.cloudfront.originOrder(world.channel(id).edge.distributionId, world.channel(id).edge.originGroupId);
const calls = (operation: string) => world.sandbox.calls.filter((c) => c.operation === operation);
const primaryFirst = (id: string) => [world.channel(id).primary.originId, world.channel(id).standby.originId];
const standbySim = (id: string) => world.sandbox.medialive.channel(world.channel(id).standby.region, world.channel(id).standby.channelId);

async function failedOver(id: string): Promise<void> {
  const result = await run(world, 'failover', id);
  expect(result.status).toBe('SUCCEEDED');
  world.sandbox.clearCalls();
}

describe('failback', () => {
  it('cold standby: routes back to the primary, removes the slate, stops the standby', async () => {
    await failedOver('sports-1');
    expect(standbySim('sports-1').state).toBe('RUNNING');
    world.sandbox.kvs.set(world.channel('sports-1').edge.kvsArn, slateKey('sports-1'), 'on');
    const result = await run(world, 'failback', 'sports-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(kvs('sports-1')[routeKey('sports-1')]).toBe('primary');
    expect(kvs('sports-1')[slateKey('sports-1')]).toBeUndefined();
    expect(order('sports-1')).toEqual(primaryFirst('sports-1'));
    expect(calls('StopChannel')).toHaveLength(1);
    expect(['STOPPING', 'IDLE']).toContain(standbySim('sports-1').state);
    expect(await world.ledger.get('sports-1')).toMatchObject({ onAir: 'primary', phase: 'steady' });
    const last = world.sandbox.sns.messages.filter((m) => m.topicArn === TOPIC_ARN).at(-1)!;
    expect(last.subject).toContain('failback succeeded');
  });

  it('warm standby: keeps the standby running', async () => {
    await failedOver('news-1');
    const result = await run(world, 'failback', 'news-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(calls('StopChannel')).toHaveLength(0);
    expect(standbySim('news-1').state).toBe('RUNNING');
    expect(order('news-1')).toEqual(primaryFirst('news-1'));
  });

  it('refuses when the primary is not fresh: Flatline.PrimaryNotFresh, nothing changed', async () => {
    await failedOver('news-1');
    const before = { kvs: kvs('news-1'), order: order('news-1') };
    world.freeze('news-1', 'primary');
    const result = await run(world, 'failback', 'news-1');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.PrimaryNotFresh');
    expect(result.cause).toContain('the primary is not fresh');
    expect(world.sandbox.calls.filter((c) => c.mutating && c.service !== 'sns')).toEqual([]);
    expect({ kvs: kvs('news-1'), order: order('news-1') }).toEqual(before);
    expect(await world.ledger.get('news-1')).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
  });

  it('edge never fresh after the failback: rolls back to the standby routing', async () => {
    await failedOver('news-1');
    const before = { kvs: kvs('news-1'), order: order('news-1') };
    world.freeze('news-1', 'edge');
    const result = await run(world, 'failback', 'news-1', { timing: { edgeVerifyAttempts: 2 } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.EdgeNotFresh');
    expect({ kvs: kvs('news-1'), order: order('news-1') }).toEqual(before);
    expect(await world.ledger.get('news-1')).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
  });
});

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


async function failedOver(id: string): Promise<void> {
  const result = await run(world, 'failover', id);
  expect(result.status).toBe('SUCCEEDED');
  world.sandbox.clearCalls();
}

describe('failback', () => {
  it('cold standby: routes back to the primary, removes the slate, stops the standby', async () => {
    await failedOver('sports-1');
    expect(world.sandbox.medialive.side('sports-1', 'standby').state).toBe('RUNNING');
    world.sandbox.kvs.set(world.channel('sports-1').edge.kvsArn, slateKey('sports-1'), 'on');
    const result = await run(world, 'failback', 'sports-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(world.kvs('sports-1')[routeKey('sports-1')]).toBe('primary');
    expect(world.kvs('sports-1')[slateKey('sports-1')]).toBeUndefined();
    expect(world.originOrder('sports-1')).toEqual(world.primaryFirst('sports-1'));
    expect(world.calls('StopChannel')).toHaveLength(1);
    expect(['STOPPING', 'IDLE']).toContain(world.sandbox.medialive.side('sports-1', 'standby').state);
    expect(await world.ledger.get('sports-1')).toMatchObject({ onAir: 'primary', phase: 'steady' });
    const last = world.sandbox.sns.messages.filter((m) => m.topicArn === TOPIC_ARN).at(-1)!;
    expect(last.subject).toContain('failback succeeded');
  });

  it('warm standby: keeps the standby running', async () => {
    await failedOver('news-1');
    const result = await run(world, 'failback', 'news-1');
    expect(result.status).toBe('SUCCEEDED');
    expect(world.calls('StopChannel')).toHaveLength(0);
    expect(world.sandbox.medialive.side('news-1', 'standby').state).toBe('RUNNING');
    expect(world.originOrder('news-1')).toEqual(world.primaryFirst('news-1'));
  });

  it('refuses when the primary is not fresh: Flatline.PrimaryNotFresh, nothing changed', async () => {
    await failedOver('news-1');
    const before = { kvs: world.kvs('news-1'), order: world.originOrder('news-1') };
    world.freeze('news-1', 'primary');
    const result = await run(world, 'failback', 'news-1');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.PrimaryNotFresh');
    expect(result.cause).toContain('the primary is not fresh');
    expect(world.sandbox.calls.filter((c) => c.mutating && c.service !== 'sns')).toEqual([]);
    expect({ kvs: world.kvs('news-1'), order: world.originOrder('news-1') }).toEqual(before);
    expect(await world.ledger.get('news-1')).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
  });

  it('edge never fresh after the failback: rolls back to the standby routing', async () => {
    await failedOver('news-1');
    const before = { kvs: world.kvs('news-1'), order: world.originOrder('news-1') };
    world.freeze('news-1', 'edge');
    const result = await run(world, 'failback', 'news-1', { timing: { edgeVerifyAttempts: 2 } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Flatline.EdgeNotFresh');
    expect({ kvs: world.kvs('news-1'), order: world.originOrder('news-1') }).toEqual(before);
    expect(await world.ledger.get('news-1')).toMatchObject({ onAir: 'standby', phase: 'on-standby' });
  });
});

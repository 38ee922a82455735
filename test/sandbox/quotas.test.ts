// AWS's quotas where the sandbox plays the service, driven by the real SDK clients: a payload over a quota
// fails as AWS fails it, and the same payload just under the quota goes through.
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutKeyCommand, DescribeKeyValueStoreCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { kvsClient } from '../../functions/lib/kvs-client.js';
import { EventBridgeService } from '../../sandbox/aws/events.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';
import { QUOTAS, lambdaPayloadSize, putEventsEntrySize } from '../../sandbox/aws/quotas.js';

const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-example11111';
let sandbox: AwsSandbox;

beforeAll(async () => {
  sandbox = await startAwsSandbox({ registryPath: 'config/registry.example.yml', serverlessPath: 'test/sandbox/fixtures/serverless.yml' });
  sandbox.applyEnv();
  sandbox.events.setRouting(false);
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('quotas', () => {
  it('EventBridge: entries over 256 KB in total are refused, just under goes through', async () => {
    const eb = awsClients('tool').eventBridge();
    const entry = (detailBytes: number) => ({ Source: 'quota.test', DetailType: 'Big', Detail: JSON.stringify({ pad: 'x'.repeat(detailBytes - 10) }) });
    const fits = entry(QUOTAS.putEventsEntryBytes - 'quota.test'.length - 'Big'.length);
    expect(putEventsEntrySize(fits)).toBe(QUOTAS.putEventsEntryBytes);
    await expect(eb.send(new PutEventsCommand({ Entries: [fits] }))).resolves.toMatchObject({ FailedEntryCount: 0 });
    const over = entry(QUOTAS.putEventsEntryBytes - 'quota.test'.length - 'Big'.length + 1);
    await expect(eb.send(new PutEventsCommand({ Entries: [over] }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('EventBridge: a rule pattern over 2,048 characters does not deploy', () => {
    const pattern = { source: ['a'], detail: { id: Array.from({ length: 300 }, (_, i) => `id-${i}`) } };
    expect(JSON.stringify(pattern).length).toBeGreaterThan(QUOTAS.eventPatternChars);
    const build = (p: object) => new EventBridgeService({ region: 'us-west-2', rules: [{ name: 'big', functionKey: 'triage', pattern: p as never }], lambda: sandbox.lambda.runtime });
    expect(() => build(pattern)).toThrow(/big: event pattern is \d+ characters; the limit is 2048/);
    expect(() => build({ source: ['a'] })).not.toThrow();
  });

  it('Lambda: an event over the async invocation payload limit never reaches its target and is dead-lettered at once; one at the limit is delivered', async () => {
    const bus = new EventBridgeService({ region: 'us-west-2', rules: [{ name: 'quota', functionKey: 'echo', pattern: { source: ['quota.test'] } }], lambda: sandbox.lambda.runtime });
    const put = (pad: number) => bus.put({ source: 'quota.test', detailType: 'Big', detail: { pad: 'x'.repeat(pad) } })[0]!;
    // The envelope (id, time, account, region...) is of fixed length around the detail: size one, then fill to the limit.
    const probe = put(0);
    await bus.idle();
    const atLimit = put(QUOTAS.lambdaAsyncPayloadBytes - lambdaPayloadSize(probe));
    const over = put(QUOTAS.lambdaAsyncPayloadBytes - lambdaPayloadSize(probe) + 1);
    await bus.idle();
    expect(lambdaPayloadSize(atLimit)).toBe(QUOTAS.lambdaAsyncPayloadBytes);
    const delivery = (id: string) => bus.deliveries.find((d) => d.eventId === id);
    expect(delivery(atLimit.id)).toMatchObject({ ok: true, attempts: 1, result: { detailType: 'Big' } });
    expect(delivery(over.id)).toMatchObject({ ok: false, attempts: 0, error: { name: 'RequestEntityTooLargeException' } });
    expect(bus.deadLetters).toMatchObject([{ functionKey: 'echo', attempts: 0, event: { id: over.id }, error: { name: 'RequestEntityTooLargeException', message: /1048577 bytes/ } }]);
  });

  it('Step Functions: an execution input over 256 KiB is refused', async () => {
    const sfn = awsClients('tool').sfn();
    const arn = sandbox.sfn.arn('demo');
    const input = JSON.stringify({ pad: 'x'.repeat(QUOTAS.sfnPayloadBytes) });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    expect(sandbox.sfn.executions()).toHaveLength(0);
  });

  it('KeyValueStore: a key over 512 bytes or a value over 1 KB is refused and nothing is written', async () => {
    const kvs = kvsClient('tool');
    const etag = async () => (await kvs.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }))).ETag!;
    await expect(kvs.send(new PutKeyCommand({ KvsARN: KVS_ARN, Key: 'k'.repeat(513), Value: 'v', IfMatch: await etag() }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(kvs.send(new PutKeyCommand({ KvsARN: KVS_ARN, Key: 'big', Value: 'v'.repeat(1025), IfMatch: await etag() }))).rejects.toMatchObject({ name: 'ValidationException' });
    expect(sandbox.kvs.get(KVS_ARN, 'big')).toBeUndefined();
    await kvs.send(new PutKeyCommand({ KvsARN: KVS_ARN, Key: 'big', Value: 'v'.repeat(1024), IfMatch: await etag() }));
    expect(sandbox.kvs.get(KVS_ARN, 'big')).toHaveLength(1024);
  });

  it('KeyValueStore: a store past 5 MB is refused', () => {
    for (let i = 0; i < 6 * 1024; i++) {
      try {
        sandbox.kvs.set(KVS_ARN, `fill-${i}`, 'v'.repeat(1000));
      } catch (err) {
        expect(err).toMatchObject({ code: 'ServiceQuotaExceededException' });
        return;
      }
    }
    throw new Error('5 MB of keys were accepted');
  });

  it('DynamoDB: an item over 400 KB is refused (dynalite enforces it)', async () => {
    const doc = awsClients('tool').dynamoDoc();
    await expect(doc.send(new PutCommand({ TableName: sandbox.dynamodb.tableName, Item: { channelId: 'big', pad: 'x'.repeat(QUOTAS.dynamoItemBytes) } }))).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

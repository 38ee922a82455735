// The sandbox's wire protocols, driven by the real SDK v3 clients from functions/lib/aws-clients.ts.
import { BatchUpdateScheduleCommand, DescribeChannelCommand, ListTagsForResourceCommand, StartChannelCommand, StopChannelCommand, type PipelinePauseStateSettings } from '@aws-sdk/client-medialive';
import { CreateCachePolicyCommand, GetCachePolicyCommand, GetDistributionCommand, GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { DescribeKeyValueStoreCommand, GetKeyCommand, ListKeysCommand, PutKeyCommand, UpdateKeysCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { kvsClient } from '../../functions/lib/kvs-client.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';
import { items } from '../../sandbox/aws/cloudfront.js';
import { parseRegistry } from '../../functions/domain/registry/index.js';
import { deployableFleetDocument } from '../../sandbox/testkit/fleet.js';

const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-example11111';
const DIST = 'E2QWRUHEXAMPLE';
let sandbox: AwsSandbox;

beforeAll(async () => {
  sandbox = await startAwsSandbox({ registryPath: 'config/registry.example.yml', serverlessPath: 'test/sandbox/fixtures/serverless.yml' });
  sandbox.applyEnv();
});
afterAll(async () => {
  await sandbox?.stop();
});
beforeEach(() => {
  sandbox.faults.clear();
  sandbox.clearCalls();
});

describe('MediaLive (REST-JSON)', () => {
  it('describes the primary in its own region and does not find it in the other', async () => {
    const out = await awsClients('tool').mediaLive('us-east-1').send(new DescribeChannelCommand({ ChannelId: '1234567' }));
    expect(out).toMatchObject({ Id: '1234567', State: 'RUNNING', ChannelClass: 'STANDARD', PipelinesRunningCount: 2 });
    expect(out.PipelineDetails?.map((p) => p.PipelineId)).toEqual(['0', '1']);
    expect(out.Arn).toBe('arn:aws:medialive:us-east-1:123456789012:channel:1234567');
    await expect(awsClients('tool').mediaLive('us-west-2').send(new DescribeChannelCommand({ ChannelId: '1234567' }))).rejects.toMatchObject({
      name: 'NotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    expect(sandbox.calls.map((c) => [c.service, c.operation, c.region, c.status])).toEqual([
      ['medialive', 'DescribeChannel', 'us-east-1', 200],
      ['medialive', 'DescribeChannel', 'us-west-2', 404],
    ]);
  });

  it('starts an IDLE cold standby once, answers 409 ConflictException to a second start, and stops it', async () => {
    const client = awsClients('tool').mediaLive('us-west-2');
    const standby = sandbox.medialive.side('sports-1', 'standby');
    expect(standby.state).toBe('IDLE');
    const started = await client.send(new StartChannelCommand({ ChannelId: '8765432' }));
    expect(started.State).toBe('STARTING'); // startDelayMs 0: RUNNING on the next timer tick
    await new Promise((r) => setTimeout(r, 5));
    expect(standby.state).toBe('RUNNING');
    const again = client.send(new StartChannelCommand({ ChannelId: '8765432' }));
    await expect(again).rejects.toMatchObject({ name: 'ConflictException', $metadata: { httpStatusCode: 409 } });
    await client.send(new StopChannelCommand({ ChannelId: '8765432' }));
    await new Promise((r) => setTimeout(r, 5));
    expect(standby.state).toBe('IDLE');
    expect(sandbox.mutatingCalls().map((c) => c.operation)).toEqual(['StartChannel', 'StopChannel']);
  });

  it('pauses the listed pipelines and unpauses the others (PauseStateSettings)', async () => {
    const client = awsClients('tool').mediaLive('us-east-1');
    const primary = sandbox.medialive.side('news-1', 'primary');
    const pause = (name: string, pipelines: PipelinePauseStateSettings[]) =>
      client.send(
        new BatchUpdateScheduleCommand({
          ChannelId: '1234567',
          Creates: {
            ScheduleActions: [
              {
                ActionName: name,
                ScheduleActionStartSettings: { ImmediateModeScheduleActionStartSettings: {} },
                ScheduleActionSettings: { PauseStateSettings: { Pipelines: pipelines } },
              },
            ],
          },
        }),
      );
    await pause('pause-both', [{ PipelineId: 'PIPELINE_0' }, { PipelineId: 'PIPELINE_1' }]);
    expect(primary.producing).toBe(false);
    expect(primary.state).toBe('RUNNING');
    await pause('pause-0', [{ PipelineId: 'PIPELINE_0' }]);
    expect(primary.pipelines.map((p) => p.paused)).toEqual([true, false]);
    expect(primary.producing).toBe(true);
    await pause('unpause-all', []);
    expect(primary.pipelines.map((p) => p.paused)).toEqual([false, false]);
    await expect(pause('unpause-all', [])).rejects.toMatchObject({ name: 'UnprocessableEntityException' });
    // Each pause change raised or cleared MediaLive's "Pipeline is Paused" alert on the bus, same alarm id for SET/CLEARED.
    const alerts = sandbox.events.log.filter((e) => e.detail.alert_type === 'Pipeline is Paused' && e.detail.channel_arn === primary.arn);
    expect(alerts.map((e) => `${String(e.detail.pipeline)}:${String(e.detail.alarm_state)}`)).toEqual(['0:SET', '1:SET', '1:CLEARED', '0:CLEARED']);
    expect(alerts[0]!.detail.alarm_id).toBe(alerts[3]!.detail.alarm_id);
  });

  it('lists the tags of a channel by ARN', async () => {
    const out = await awsClients('tool').mediaLive('us-east-1').send(new ListTagsForResourceCommand({ ResourceArn: 'arn:aws:medialive:us-east-1:123456789012:channel:1234567' }));
    expect(out.Tags).toEqual({ flatline: 'news-1', side: 'primary' });
  });

  it('publishes SimChannel changes as MediaLive events in the real shape', () => {
    const standby = sandbox.medialive.side('kids-1', 'standby');
    const before = sandbox.events.log.length;
    standby.setPipelineHealthy('1', false);
    standby.setPipelineHealthy('0', false);
    standby.setPipelineHealthy('0', true);
    const events = sandbox.events.log.slice(before);
    expect(events.map((e) => e['detail-type'])).toEqual([
      'MediaLive Channel Alert',
      'MediaLive Channel Alert',
      'MediaLive Channel State Change',
      'MediaLive Channel Alert',
      'MediaLive Channel State Change',
    ]);
    expect(events[2]).toMatchObject({
      source: 'aws.medialive',
      region: 'us-west-2',
      resources: [standby.arn],
      detail: { channel_arn: standby.arn, state: 'RECOVERING', pipelines_running_count: 0 },
    });
    expect(events[0]!.detail).toMatchObject({ alarm_state: 'SET', pipeline: '1', alert_type: 'Video Not Detected', channel_arn: standby.arn });
    expect(events[3]!.detail).toMatchObject({ alarm_state: 'CLEARED', pipeline: '0', alarm_id: events[1]!.detail.alarm_id });
    standby.setPipelineHealthy('1', true);
  });
});

describe('CloudFront (REST-XML, ETag / If-Match)', () => {
  it('reorders an origin group with the current ETag and rejects the stale one with 412 PreconditionFailed', async () => {
    const client = awsClients('tool').cloudFront();
    expect(sandbox.cloudfront.originOrder(DIST, 'og-news-1')).toEqual(['mp-use1-news-1', 'mp-usw2-news-1']);
    const got = await client.send(new GetDistributionConfigCommand({ Id: DIST }));
    const config = got.DistributionConfig!;
    expect(config.Origins?.Quantity).toBe(6);
    const group = config.OriginGroups!.Items!.find((g) => g.Id === 'og-news-1')!;
    expect(group.FailoverCriteria?.StatusCodes?.Items).toContain(503);
    group.Members!.Items!.reverse();
    const updated = await client.send(new UpdateDistributionCommand({ Id: DIST, IfMatch: got.ETag, DistributionConfig: config }));
    expect(updated.ETag).toBeDefined();
    expect(updated.ETag).not.toBe(got.ETag);
    expect(updated.Distribution?.DistributionConfig?.OriginGroups?.Items?.find((g) => g.Id === 'og-news-1')?.Members?.Items?.[0]?.OriginId).toBe('mp-usw2-news-1');
    expect(sandbox.cloudfront.originOrder(DIST, 'og-news-1')).toEqual(['mp-usw2-news-1', 'mp-use1-news-1']);
    // Other groups and origins round-trip unchanged.
    expect(sandbox.cloudfront.originOrder(DIST, 'og-sports-1')).toEqual(['mp-use1-sports-1', 'mp-usw2-sports-1']);

    await expect(client.send(new UpdateDistributionCommand({ Id: DIST, IfMatch: got.ETag, DistributionConfig: config }))).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    await expect(client.send(new UpdateDistributionCommand({ Id: DIST, IfMatch: undefined, DistributionConfig: config }))).rejects.toMatchObject({
      name: 'InvalidIfMatchVersion',
    });
    const dist = await client.send(new GetDistributionCommand({ Id: DIST }));
    expect(dist.ETag).toBe(updated.ETag);
    expect(dist.Distribution?.Id).toBe(DIST);
    await expect(client.send(new GetDistributionConfigCommand({ Id: 'ENOSUCHDIST' }))).rejects.toMatchObject({ name: 'NoSuchDistribution' });

    // Put it back for the other tests.
    group.Members!.Items!.reverse();
    await client.send(new UpdateDistributionCommand({ Id: DIST, IfMatch: updated.ETag, DistributionConfig: config }));
    expect(sandbox.cloudfront.originOrder(DIST, 'og-news-1')).toEqual(['mp-use1-news-1', 'mp-usw2-news-1']);
  });

  it('rejects an origin group that does not have two known members', async () => {
    const client = awsClients('tool').cloudFront();
    const got = await client.send(new GetDistributionConfigCommand({ Id: DIST }));
    const config = got.DistributionConfig!;
    config.OriginGroups!.Items![0]!.Members!.Items![1]!.OriginId = 'nope';
    await expect(client.send(new UpdateDistributionCommand({ Id: DIST, IfMatch: got.ETag, DistributionConfig: config }))).rejects.toMatchObject({
      name: 'NoSuchOrigin',
    });
  });

  it('rejects failover status codes that origin failover does not accept, and a Quantity that does not match them', async () => {
    const client = awsClients('tool').cloudFront();
    const got = await client.send(new GetDistributionConfigCommand({ Id: DIST }));
    const config = got.DistributionConfig!;
    const send = (): Promise<unknown> => client.send(new UpdateDistributionCommand({ Id: DIST, IfMatch: got.ETag, DistributionConfig: config }));
    config.OriginGroups!.Items![0]!.FailoverCriteria = { StatusCodes: { Quantity: 2, Items: [503, 501] } };
    await expect(send()).rejects.toMatchObject({ name: 'InvalidArgument', message: expect.stringMatching(/og-news-1.*501/) as unknown });
    config.OriginGroups!.Items![0]!.FailoverCriteria = { StatusCodes: { Quantity: 3, Items: [503] } };
    await expect(send()).rejects.toMatchObject({ name: 'InconsistentQuantities' });
  });

  it("serves /live/* with the stack's cache policy, creates and reads cache policies, refuses a behaviour naming an unknown one", async () => {
    const client = awsClients('tool').cloudFront();
    const got = await client.send(new GetDistributionConfigCommand({ Id: DIST }));
    const live = got.DistributionConfig!.CacheBehaviors!.Items!.find((b) => b.PathPattern === '/live/*')!;
    const policy = await client.send(new GetCachePolicyCommand({ Id: live.CachePolicyId }));
    expect(policy.ETag).toBeDefined();
    expect(policy.CachePolicy?.CachePolicyConfig).toMatchObject({
      Name: 'flatline-sandbox-live',
      MinTTL: 0,
      ParametersInCacheKeyAndForwardedToOrigin: { HeadersConfig: { HeaderBehavior: 'whitelist', Headers: { Quantity: 2, Items: ['origin', 'x-flatline-route'] } } },
    });

    const config = {
      Name: 'test-policy',
      MinTTL: 0,
      ParametersInCacheKeyAndForwardedToOrigin: {
        EnableAcceptEncodingGzip: true,
        HeadersConfig: { HeaderBehavior: 'whitelist' as const, Headers: { Quantity: 1, Items: ['X-Custom'] } },
        CookiesConfig: { CookieBehavior: 'none' as const },
        QueryStringsConfig: { QueryStringBehavior: 'none' as const },
      },
    };
    const created = await client.send(new CreateCachePolicyCommand({ CachePolicyConfig: config }));
    expect(created.CachePolicy?.Id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sandbox.cloudfront.cachePolicyHeaders(created.CachePolicy!.Id!)).toEqual(['x-custom']);
    await expect(client.send(new CreateCachePolicyCommand({ CachePolicyConfig: config }))).rejects.toMatchObject({ name: 'CachePolicyAlreadyExists' });
    await expect(client.send(new GetCachePolicyCommand({ Id: 'nope' }))).rejects.toMatchObject({ name: 'NoSuchCachePolicy' });

    live.CachePolicyId = 'nope';
    await expect(client.send(new UpdateDistributionCommand({ Id: DIST, IfMatch: got.ETag, DistributionConfig: got.DistributionConfig }))).rejects.toMatchObject({
      name: 'NoSuchCachePolicy',
    });
  });
});

describe('CloudFront KeyValueStore (REST-JSON, SigV4A, store-wide ETag)', () => {
  it('puts with the current ETag, refuses a stale one with 409, reads keys back', async () => {
    const client = kvsClient('tool');
    const d = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }));
    expect(d).toMatchObject({ KvsARN: KVS_ARN, Status: 'READY' });
    const put = await client.send(new PutKeyCommand({ KvsARN: KVS_ARN, Key: 'route:news-1', Value: 'standby', IfMatch: d.ETag }));
    expect(put.ETag).not.toBe(d.ETag);
    expect(sandbox.kvs.get(KVS_ARN, 'route:news-1')).toBe('standby');
    await expect(client.send(new PutKeyCommand({ KvsARN: KVS_ARN, Key: 'route:news-1', Value: 'primary', IfMatch: d.ETag }))).rejects.toMatchObject({
      name: 'ConflictException',
      $metadata: { httpStatusCode: 409 },
    });
    expect(sandbox.kvs.get(KVS_ARN, 'route:news-1')).toBe('standby');
    const got = await client.send(new GetKeyCommand({ KvsARN: KVS_ARN, Key: 'route:news-1' }));
    expect(got).toMatchObject({ Key: 'route:news-1', Value: 'standby' });
    await expect(client.send(new GetKeyCommand({ KvsARN: KVS_ARN, Key: 'slate:news-1' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('applies UpdateKeys all-or-nothing and notifies listeners', async () => {
    const client = kvsClient('tool');
    const changes: string[] = [];
    const off = sandbox.kvs.onChange((c) => changes.push(`${c.key}=${c.value ?? '(deleted)'}`));
    const before = sandbox.kvs.snapshot(KVS_ARN);
    const etag = (await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }))).ETag;
    await expect(
      client.send(new UpdateKeysCommand({ KvsARN: KVS_ARN, IfMatch: etag, Puts: [{ Key: 'slate:kids-1', Value: 'on' }], Deletes: [{ Key: 'missing' }] })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(sandbox.kvs.snapshot(KVS_ARN)).toEqual(before);
    const ok = await client.send(new UpdateKeysCommand({ KvsARN: KVS_ARN, IfMatch: etag, Puts: [{ Key: 'slate:kids-1', Value: 'on' }, { Key: 'route:kids-1', Value: 'standby' }] }));
    expect(ok.ETag).toBe(sandbox.kvs.etag(KVS_ARN));
    const listed = await client.send(new ListKeysCommand({ KvsARN: KVS_ARN }));
    expect(listed.Items?.map((i) => i.Key)).toEqual(expect.arrayContaining(['route:kids-1', 'slate:kids-1']));
    expect(changes).toEqual(['slate:kids-1=on', 'route:kids-1=standby']);
    off();
  });
});

describe('SNS (query protocol) and DynamoDB (dynalite)', () => {
  it('records a published message', async () => {
    const out = await awsClients('tool').sns().send(new PublishCommand({ TopicArn: sandbox.env.NOTIFY_TOPIC_ARN, Subject: 'failover', Message: 'news-1 is on standby' }));
    expect(out.MessageId).toBeDefined();
    expect(sandbox.sns.messages.at(-1)).toMatchObject({ messageId: out.MessageId, subject: 'failover', message: 'news-1 is on standby', topicArn: sandbox.env.NOTIFY_TOPIC_ARN });
  });

  it('serves the ledger table with conditional writes', async () => {
    const doc = awsClients('tool').dynamoDoc();
    const TableName = sandbox.env.LEDGER_TABLE;
    await doc.send(new PutCommand({ TableName, Item: { channelId: 'news-1', version: 1 }, ConditionExpression: 'attribute_not_exists(channelId)' }));
    await expect(
      doc.send(new PutCommand({ TableName, Item: { channelId: 'news-1', version: 2 }, ConditionExpression: 'attribute_not_exists(channelId)' })),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect((await doc.send(new GetCommand({ TableName, Key: { channelId: 'news-1' } }))).Item).toEqual({ channelId: 'news-1', version: 1 });
  });
});

describe('fault injection', () => {
  it('throttles with each service’s own error, for a count, and the SDK retries through it', async () => {
    sandbox.faults.add({ service: 'medialive', kind: 'throttle', count: 1 });
    const out = await awsClients('tool').mediaLive('us-east-1').send(new DescribeChannelCommand({ ChannelId: '1234567' }));
    expect(out.State).toBe('RUNNING');
    expect(sandbox.calls.map((c) => `${c.status}:${c.error ?? ''}:${c.fault ?? ''}`)).toEqual([
      '429:TooManyRequestsException:throttle',
      '200::',
    ]);
  });

  it('turns a region off (primary region down) and leaves the global services and the other region up', async () => {
    sandbox.faults.add({ region: 'us-east-1', kind: '5xx' });
    const primary = awsClients('tool').mediaLive('us-east-1');
    await expect(primary.send(new DescribeChannelCommand({ ChannelId: '1234567' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    const standby = await awsClients('tool').mediaLive('us-west-2').send(new DescribeChannelCommand({ ChannelId: '7654321' }));
    expect(standby.State).toBe('RUNNING');
    const cf = await awsClients('tool').cloudFront().send(new GetDistributionConfigCommand({ Id: DIST }));
    expect(cf.ETag).toBeDefined();
    expect(sandbox.calls.filter((c) => c.region === 'us-east-1').every((c) => c.status === 500)).toBe(true);
  });

  it('adds latency without failing, and throttles SNS with its own wire error', async () => {
    sandbox.faults.add({ service: 'sns', kind: 'latency', latencyMs: 30, count: 1 });
    await awsClients('tool').sns().send(new PublishCommand({ TopicArn: sandbox.env.NOTIFY_TOPIC_ARN, Message: 'slow' }));
    expect(sandbox.calls.at(-1)).toMatchObject({ service: 'sns', operation: 'Publish', status: 200, latencyMs: 30 });
    sandbox.faults.add({ service: 'sns', kind: 'throttle' });
    await expect(awsClients('tool').sns().send(new PublishCommand({ TopicArn: sandbox.env.NOTIFY_TOPIC_ARN, Message: 'x' }))).rejects.toMatchObject({
      name: 'ThrottledException',
      $metadata: { httpStatusCode: 429 },
    });
    expect(sandbox.calls.at(-1)).toMatchObject({ status: 429, error: 'Throttled', fault: 'throttle' });
  });

  it('injects a 412 on the first UpdateDistribution only', async () => {
    sandbox.faults.add({ service: 'cloudfront', operation: 'UpdateDistribution', kind: '412', count: 1 });
    const client = awsClients('tool').cloudFront();
    const got = await client.send(new GetDistributionConfigCommand({ Id: DIST }));
    await expect(client.send(new UpdateDistributionCommand({ Id: DIST, IfMatch: got.ETag, DistributionConfig: got.DistributionConfig }))).rejects.toMatchObject({
      name: 'PreconditionFailed',
    });
    const again = await client.send(new UpdateDistributionCommand({ Id: DIST, IfMatch: got.ETag, DistributionConfig: got.DistributionConfig }));
    expect(again.ETag).not.toBe(got.ETag);
  });

  it('draws probabilistic faults from a seeded generator: the same seed fails the same calls', async () => {
    const run = async (): Promise<number[]> => {
      sandbox.clearCalls();
      sandbox.faults.clear();
      sandbox.faults.seed(42);
      sandbox.faults.add({ service: 'cloudfront-keyvaluestore', kind: 'error', errorCode: 'AccessDeniedException', status: 403, probability: 0.5 });
      const client = kvsClient('tool');
      for (let i = 0; i < 12; i++) await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN })).catch(() => undefined);
      return sandbox.calls.map((c) => c.status);
    };
    const first = await run();
    expect(first).toContain(403);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });
});

describe('CloudFront: a fleet-scale distribution (shared origins, one origin group)', () => {
  it('declares each shared origin once and only the origin groups the registry names', async () => {
    const fleet = await startAwsSandbox({ registry: parseRegistry(deployableFleetDocument(3, { critical: 1 })), serverlessPath: false });
    try {
      const config = fleet.cloudfront.config(DIST);
      expect(items(config.Origins, 'Origin').map((o) => o.Id)).toEqual(['mp-use1-fleet', 'mp-usw2-fleet']);
      expect(items(config.OriginGroups, 'OriginGroup').map((g) => g.Id)).toEqual(['og-ch-0']);
      expect(fleet.cloudfront.originOrder(DIST, 'og-ch-0')).toEqual(['mp-use1-fleet', 'mp-usw2-fleet']);
      expect(() => fleet.cloudfront.originOrder(DIST, undefined)).toThrow(/no origin group/);
    } finally {
      await fleet.stop();
    }
  });
});

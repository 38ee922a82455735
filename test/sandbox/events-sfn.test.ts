// EventBridge rules and Step Functions state machines read from a serverless.yml fixture, driven with the real
// SDK clients; targets and Task states run real handler modules (test/sandbox/fixtures/handlers.ts).
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';

let sandbox: AwsSandbox;

beforeAll(async () => {
  sandbox = await startAwsSandbox({
    registryPath: 'config/registry.example.yml',
    serverlessPath: 'test/sandbox/fixtures/serverless.yml',
    sfn: { timeScale: 0.001 },
  });
  sandbox.applyEnv();
});
afterAll(async () => {
  await sandbox?.stop();
});
beforeEach(() => {
  sandbox.faults.clear();
  sandbox.clearCalls();
});

const opsEvent = (detailType: string, channelId: string) => ({ Source: 'flatline.ops', DetailType: detailType, Detail: JSON.stringify({ channelId }) });

describe('EventBridge rules from serverless.yml', () => {
  it('reads the rules of every function (variables resolved, deploy-time ones kept)', () => {
    const rules = sandbox.serverless!.rules;
    expect(rules.map((r) => r.functionKey)).toEqual(['echo', 'broken', 'mediaLiveWatcher', 'unresolvedWatcher']);
    expect(rules[0]!.pattern).toEqual({ source: ['flatline.ops'], 'detail-type': ['Failover Requested'], detail: { channelId: [{ prefix: 'news-' }] } });
    // A JS variable file is called like osls calls it (stage and configuration available to it).
    expect(rules[2]!.pattern.resources).toEqual(['arn:aws:medialive:us-east-1:123456789012:channel:1234567', 'arn:aws:medialive:us-east-1:123456789012:channel:sandbox']);
    // One that cannot be resolved stays a variable string (the matcher takes it as "any value").
    expect(rules[3]!.pattern.resources).toBe('${file(./no-such-resolver.cjs):arns}');
  });

  it('routes a PutEvents entry to the handler whose pattern matches, asynchronously', async () => {
    const out = await awsClients('tool').eventBridge().send(
      new PutEventsCommand({ Entries: [opsEvent('Failover Requested', 'news-1'), opsEvent('Failover Requested', 'sports-1')] }),
    );
    expect(out.FailedEntryCount).toBe(0);
    await sandbox.events.idle();
    const [news, sports] = out.Entries!.map((e) => sandbox.events.service.deliveries.filter((d) => d.eventId === e.EventId));
    expect(news).toHaveLength(1);
    expect(news![0]).toMatchObject({
      functionKey: 'echo',
      ok: true,
      result: { detailType: 'Failover Requested', channelId: 'news-1', functionName: 'flatline-fixture-sandbox-echo' },
    });
    expect(sports).toEqual([]);
    const logged = sandbox.events.log.find((e) => e.id === out.Entries![0]!.EventId);
    expect(logged).toMatchObject({ version: '0', source: 'flatline.ops', 'detail-type': 'Failover Requested', account: '123456789012', region: 'us-west-2' });
  });

  it('retries a failing target and then hands the event and the error to the dead letters', async () => {
    const before = sandbox.deadLetters.length;
    const out = await awsClients('tool').eventBridge().send(new PutEventsCommand({ Entries: [opsEvent('Drill Requested', 'kids-1')] }));
    await sandbox.events.idle();
    const dead = sandbox.deadLetters.slice(before);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ functionKey: 'broken', attempts: 2, error: { name: 'Fixture.Broken' }, event: { id: out.Entries![0]!.EventId } });
  });

  it('rejects entries with a malformed detail, per entry', async () => {
    const out = await awsClients('tool').eventBridge().send(
      new PutEventsCommand({ Entries: [{ Source: 'flatline.ops', DetailType: 'Failover Requested', Detail: '{not json' }, opsEvent('Failover Requested', 'news-1')] }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries![0]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(out.Entries![1]!.EventId).toBeDefined();
    await sandbox.events.idle();
  });

  it('delivers MediaLive alerts raised by a SimChannel to the rule that matches them (SET, listed channels only)', async () => {
    const primary = sandbox.medialive.side('news-1', 'primary');
    const other = sandbox.medialive.side('sports-1', 'primary');
    const before = sandbox.events.service.deliveries.length;
    primary.setPipelineHealthy('0', false);
    primary.setPipelineHealthy('0', true);
    other.setPipelineHealthy('1', false);
    other.setPipelineHealthy('1', true);
    await sandbox.events.idle();
    const delivered = sandbox.events.service.deliveries.slice(before).filter((d) => d.functionKey === 'mediaLiveWatcher');
    expect(delivered).toHaveLength(1);
    const event = sandbox.events.log.find((e) => e.id === delivered[0]!.eventId)!;
    expect(sandbox.events.put({ source: 'flatline.test', detailType: 'x', detail: {}, resources: ['anything'] })).toHaveLength(1);
    await sandbox.events.idle();
    expect(sandbox.events.service.deliveries.at(-1)).toMatchObject({ functionKey: 'unresolvedWatcher', ok: true });
    expect(event.detail).toMatchObject({ alarm_state: 'SET', pipeline: '0', channel_arn: primary.arn });
  });
});

describe('Step Functions running the ASL with Tasks mapped to handler modules', () => {
  const input = (id: string, failTimes: number) => JSON.stringify({ region: 'us-east-1', mediaLiveChannelId: '1234567', id, failTimes });

  it('answers a request member of the wrong type with SerializationException, starting nothing', async () => {
    const stateMachineArn = sandbox.sfn.arn('demo');
    // The input is a JSON string on the wire; an object where the string belongs is the JSON protocol's 400.
    const input = { id: 'typed-wrong' } as unknown as string;
    await expect(awsClients('tool').sfn().send(new StartExecutionCommand({ stateMachineArn, name: 'typed-wrong', input }))).rejects.toMatchObject({
      name: 'SerializationException',
      message: 'input: expected a string, got object',
    });
    expect(sandbox.sfn.executions().filter((e) => e.name === 'typed-wrong')).toEqual([]);
  });

  it('runs an execution, retries on the named error, and a duplicate start is a no-op', async () => {
    const client = awsClients('tool').sfn();
    const stateMachineArn = sandbox.sfn.arn('demo');
    expect(stateMachineArn).toBe('arn:aws:states:us-west-2:123456789012:stateMachine:flatline-sandbox-demo');
    const first = await client.send(new StartExecutionCommand({ stateMachineArn, name: 'news-1-inc-1', input: input('a', 1) }));
    const dup = await client.send(new StartExecutionCommand({ stateMachineArn, name: 'news-1-inc-1', input: input('a', 1) }));
    expect(dup.executionArn).toBe(first.executionArn);
    await expect(client.send(new StartExecutionCommand({ stateMachineArn, name: 'news-1-inc-1', input: input('b', 0) }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    await sandbox.sfn.idle();
    expect(sandbox.sfn.executions().filter((e) => e.name === 'news-1-inc-1')).toHaveLength(1);

    const described = await client.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!)).toMatchObject({ channel: { state: 'RUNNING', pipelinesRunningCount: 2 }, flaky: { attempts: 2 } });
    // The Describe task called MediaLive through the real SDK and the sandbox's wire endpoint.
    expect(sandbox.calls.some((c) => c.service === 'medialive' && c.operation === 'DescribeChannel' && c.region === 'us-east-1')).toBe(true);

    const timeline = sandbox.sfn.get(first.executionArn!)!.timeline;
    expect(timeline.map((t) => t.state)).toEqual(['Describe', 'Flaky', 'Pause', 'Done']);
    expect(timeline[1]).toMatchObject({ retries: 1 });

    const history = await client.send(new GetExecutionHistoryCommand({ executionArn: first.executionArn }));
    const types = history.events!.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    // The Flaky task: one failed attempt, retried, then succeeded, as AWS records a Lambda Task.
    const flakyStart = types.indexOf('TaskStateEntered', types.indexOf('TaskStateExited'));
    expect(types.slice(flakyStart, flakyStart + 8)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
    ]);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(history.events!.find((e) => e.type === 'TaskStateEntered')?.stateEnteredEventDetails?.name).toBe('Describe');

    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn }));
    expect(listed.executions?.map((e) => e.name)).toContain('news-1-inc-1');
    // The original is closed now: its name cannot be reused, whatever the input.
    await expect(client.send(new StartExecutionCommand({ stateMachineArn, name: 'news-1-inc-1', input: input('a', 1) }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
  });

  it('fails the execution with the Fail state’s error once the retries are exhausted', async () => {
    const client = awsClients('tool').sfn();
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: sandbox.sfn.arn('demo'), name: 'news-1-inc-2', input: input('c', 9) }));
    await sandbox.sfn.idle();
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'Fixture.GaveUp', cause: 'flaky kept failing' });
    const flaky = sandbox.sfn.get(executionArn!)!.timeline.find((t) => t.state === 'Flaky')!;
    expect(flaky.retries).toBe(2);
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events!.some((e) => e.type === 'TaskFailed' && e.taskFailedEventDetails?.error === 'Fixture.Transient')).toBe(true);
  });

  it('answers SFN throttling with ThrottlingException, which the SDK retries', async () => {
    sandbox.faults.add({ service: 'states', operation: 'StartExecution', kind: 'throttle', count: 1 });
    const out = await awsClients('tool').sfn().send(new StartExecutionCommand({ stateMachineArn: sandbox.sfn.arn('demo'), name: 'news-1-inc-3', input: input('d', 0) }));
    await sandbox.sfn.idle();
    expect(sandbox.calls.filter((c) => c.operation === 'StartExecution').map((c) => `${c.status}:${c.error ?? ''}`)).toEqual(['400:ThrottlingException', '200:']);
    expect(sandbox.sfn.executions().filter((e) => e.executionArn === out.executionArn)).toHaveLength(1);
  });
});

// The sandbox's Lambda model against real handler modules and the real SDK clients: a timed-out invocation
// loses its AWS access (its late writes never land), Step Functions and EventBridge see the timeout as AWS
// reports it, and each function runs in its own environment (test/sandbox/fixtures/lambda-model.yml).
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { startAwsSandbox, type AwsSandbox } from '../../sandbox/aws/index.js';
import { worldModel } from '../../sandbox/world-model.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let sandbox: AwsSandbox;

beforeAll(async () => {
  sandbox = await startAwsSandbox({
    registryPath: 'config/registry.example.yml',
    serverlessPath: 'test/sandbox/fixtures/lambda-model.yml',
    // Timeouts enforced, nothing else unkind: async retries follow at once.
    world: worldModel('ideal', { lambdaTimeouts: true }),
    stateMachines: [
      {
        key: 'lateStep',
        name: 'late-step',
        definition: {
          StartAt: 'Write',
          States: { Write: { Type: 'Task', Resource: 'arn:aws:lambda:us-west-2:123456789012:function:lateWriter', End: true } },
        },
      },
    ],
  });
  sandbox.applyEnv();
});
afterAll(async () => {
  await sandbox?.stop();
});

/** What the late writer would have written: SNS messages and the ledger item for its id. */
async function landed(id: string): Promise<{ messages: number; item: boolean }> {
  const out = await awsClients('tool').dynamoDoc().send(new GetCommand({ TableName: sandbox.dynamodb.tableName, Key: { channelId: `late-${id}` } }));
  return { messages: sandbox.sns.messages.filter((m) => m.message === `late ${id}`).length, item: out.Item !== undefined };
}

describe('a Lambda invocation past its timeout', () => {
  it('within its timeout, the writes land', async () => {
    await expect(sandbox.lambda.invoke('lateWriter', { ms: 0, id: 'on-time' })).resolves.toEqual({ wrote: 'on-time' });
    expect(await landed('on-time')).toEqual({ messages: 1, item: true });
  });

  it('ends with Sandbox.Timedout for the caller, and what it writes afterwards is refused', async () => {
    await expect(sandbox.lambda.invoke('lateWriter', { ms: 1300, id: 'late' })).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    // The handler wakes at 1.3 s and tries its writes with the credentials it was given.
    await sleep(800);
    expect(await landed('late')).toEqual({ messages: 0, item: false });
    const refused = sandbox.calls.filter((c) => c.error === 'ExpiredTokenException').map((c) => `${c.service}:${c.operation}`);
    expect(refused).toContain('sns:Publish');
  });

  it('in a state machine, the Task fails with Sandbox.Timedout and the late write does not land', async () => {
    const exec = sandbox.sfn.start('lateStep', { ms: 1300, id: 'step' });
    const done = await exec.done;
    expect(done).toMatchObject({ status: 'FAILED', error: 'Sandbox.Timedout' });
    await sleep(800);
    expect(await landed('step')).toEqual({ messages: 0, item: false });
  });

  it('invoked by EventBridge, it is retried maximumRetryAttempts times, then dead-lettered; no attempt writes', async () => {
    const before = sandbox.deadLetters.length;
    sandbox.events.put({ source: 'flatline.test', detailType: 'Late Write', detail: { ms: 1300, id: 'async' } });
    await sandbox.events.idle();
    expect(sandbox.deadLetters.slice(before)).toMatchObject([{ functionKey: 'lateWriter', attempts: 2, error: { name: 'Sandbox.Timedout' } }]);
    await sleep(800);
    expect(await landed('async')).toEqual({ messages: 0, item: false });
  });
});

describe('each function in its own environment', () => {
  const names = ['COLOUR', 'ONLY_RED', 'SHARED_NAME', 'LEDGER_TABLE', 'AWS_ENDPOINT_URL_SNS'];
  type Seen = { atStart: Record<string, string | undefined>; later: Record<string, string | undefined> };

  it('two functions with different values of one variable each see their own, also across their awaits', async () => {
    // Overlapping invocations: each reads again after the others have started.
    const [red, blue, plain] = (await Promise.all([
      sandbox.lambda.invoke('readerRed', { names, ms: 60 }),
      sandbox.lambda.invoke('readerBlue', { names, ms: 30 }),
      sandbox.lambda.invoke('readerPlain', { names, ms: 0 }),
    ])) as Seen[];
    const common = { SHARED_NAME: 'shared-sandbox', LEDGER_TABLE: sandbox.dynamodb.tableName, AWS_ENDPOINT_URL_SNS: sandbox.url };
    expect(red).toEqual({ atStart: { ...common, COLOUR: 'red', ONLY_RED: 'yes' }, later: { ...common, COLOUR: 'red', ONLY_RED: 'yes' } });
    expect(blue).toEqual({ atStart: { ...common, COLOUR: 'blue', ONLY_RED: undefined }, later: { ...common, COLOUR: 'blue', ONLY_RED: undefined } });
    expect(plain).toEqual({ atStart: { ...common, COLOUR: undefined, ONLY_RED: undefined }, later: { ...common, COLOUR: undefined, ONLY_RED: undefined } });
    // The host's process.env is not theirs.
    expect(process.env.COLOUR).toBeUndefined();
  });

  it("never shows a function a variable serverless.yml gives another, even when the host process has it; the host's other values win", async () => {
    process.env.ONLY_RED = 'from-host';
    process.env.COLOUR = 'host-override';
    try {
      const blue = (await sandbox.lambda.invoke('readerBlue', { names, ms: 0 })) as Seen;
      expect(blue.atStart).toMatchObject({ ONLY_RED: undefined, COLOUR: 'host-override' });
    } finally {
      delete process.env.ONLY_RED;
      delete process.env.COLOUR;
    }
  });

  it('gives every invocation credentials of its own', async () => {
    const keys = await Promise.all([1, 2].map(async () => ((await sandbox.lambda.invoke('readerPlain', { names: ['AWS_ACCESS_KEY_ID'], ms: 0 })) as Seen).atStart.AWS_ACCESS_KEY_ID));
    expect(new Set(keys).size).toBe(2);
    expect(keys).not.toContain(process.env.AWS_ACCESS_KEY_ID);
  });
});

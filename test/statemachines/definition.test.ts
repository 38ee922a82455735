// The ASL files as serverless.yml and AWS get them: valid for both validators (asl-validator 4 and the one
// serverless-step-functions runs at package time), every Task bounded and retried, resources on the FIXED
// function keys, every state reachable, and buildable by aws-local-stepfunctions.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { buildLocalStateMachine, DEFINITION_FILES, everyState, functionKeyOfResource, loadDefinition, localDefinition, stepHandlerPath, type Definition } from '../../sandbox/aws/state-machine-runner.js';
import { existsSync } from 'node:fs';

const require = createRequire(import.meta.url);
type Validator = (def: unknown) => { isValid: boolean; errorsText: (sep?: string) => string };
const validators: Array<[string, Validator]> = [
  ['asl-validator', require('asl-validator') as Validator],
  ['serverless-step-functions', require('serverless-step-functions/node_modules/asl-validator') as Validator],
];

const FUNCTION_KEYS = ['snapshotRouting', 'ensureChannelRunning', 'ensureChannelStopped', 'checkManifestFresh', 'setEdgeRoute', 'setOriginGroup', 'setSlate', 'notify', 'finishIncident'];
const RETRIED = ['Flatline.Retryable', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'Lambda.SdkClientException', 'States.Timeout'];

type State = Record<string, unknown> & { Type: string };

function transitions(state: State): string[] {
  const next: string[] = [];
  if (typeof state.Next === 'string') next.push(state.Next);
  if (typeof state.Default === 'string') next.push(state.Default);
  for (const c of (state.Choices as Array<{ Next: string }> | undefined) ?? []) next.push(c.Next);
  for (const c of (state.Catch as Array<{ Next: string }> | undefined) ?? []) next.push(c.Next);
  return next;
}

describe.each(Object.keys(DEFINITION_FILES))('%s.asl.json', (key) => {
  const definition = loadDefinition(key);
  const states = definition.States as Record<string, State>;
  /** Top-level states and those of the Parallel branches. */
  const allStates = everyState(definition) as Record<string, State>;
  /** A Task in a Parallel branch is caught by its Parallel state (a branch cannot jump outside itself). */
  const parallelOf = (name: string): State | undefined =>
    Object.values(states).find((s) => (s.Branches as Definition[] | undefined)?.some((b) => name in everyState(b)));

  it.each(validators)('is valid for %s', (_name, validate) => {
    const result = validate(definition);
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('names every state once, across the Parallel branches too', () => {
    const names = (machine: Record<string, unknown>): string[] =>
      Object.entries(machine.States as Record<string, State>).flatMap(([name, s]) => [name, ...((s.Branches as Array<Record<string, unknown>> | undefined) ?? []).flatMap(names)]);
    const all = names(definition);
    expect(all.length).toBe(new Set(all).size);
  });

  it('bounds and retries every Task, with jittered backoff on transient errors only', () => {
    const tasks = Object.entries(allStates).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(5);
    for (const [name, task] of tasks) {
      expect(task.TimeoutSeconds, name).toBeGreaterThan(0);
      const retry = task.Retry as Array<Record<string, unknown>>;
      expect(retry, name).toHaveLength(1);
      expect(retry[0]!.ErrorEquals, name).toEqual(expect.arrayContaining(RETRIED));
      expect(retry[0]!.ErrorEquals, name).not.toContain('States.ALL');
      expect(retry[0]).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL' });
      expect(retry[0]!.MaxAttempts as number).toBeGreaterThanOrEqual(3);
    }
  });

  it('points every Task at a fixed function key whose handler module exists', () => {
    for (const [name, state] of Object.entries(allStates)) {
      if (state.Type !== 'Task') continue;
      const fnKey = functionKeyOfResource(state.Resource);
      expect(FUNCTION_KEYS, name).toContain(fnKey);
      expect(existsSync(stepHandlerPath(fnKey!)), fnKey).toBe(true);
    }
  });

  it('reaches every state from StartAt (in each branch from its own), and every Task has a Catch or sits in a Parallel that has one', () => {
    const reach = (machine: Record<string, unknown>): void => {
      const own = machine.States as Record<string, State>;
      const seen = new Set<string>();
      const queue = [machine.StartAt as string];
      while (queue.length) {
        const name = queue.shift()!;
        if (seen.has(name)) continue;
        seen.add(name);
        expect(own[name], `transition to missing state ${name}`).toBeDefined();
        queue.push(...transitions(own[name]!));
        for (const branch of (own[name]!.Branches as Array<Record<string, unknown>> | undefined) ?? []) reach(branch);
      }
      expect([...seen].sort()).toEqual(Object.keys(own).sort());
    };
    reach(definition);
    for (const [name, state] of Object.entries(allStates)) {
      if (state.Type === 'Task') expect(state.Catch ?? parallelOf(name)?.Catch, name).toBeDefined();
    }
  });

  it('tells the topic of every end but success twice: its Notify* step, then the failed execution (the executions-failed alarm)', () => {
    // Why a degraded failover (FailoverDegraded) or a rollback needs no alarm of its own: its Notify* step
    // pages the topic, and its Fail end counts in ExecutionsFailed, whose alarm pages the topic too (even
    // when the notification itself failed) and is on the dashboard.
    const ends = Object.entries(states).filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail');
    expect(ends.filter(([, s]) => s.Type === 'Succeed').map(([name]) => name)).toEqual([`${key.charAt(0).toUpperCase()}${key.slice(1)}Succeeded`]);
    for (const [name, end] of ends) {
      const before = Object.entries(states).filter(([, s]) => transitions(s).includes(name));
      expect(before.length, name).toBeGreaterThan(0);
      for (const [from, state] of before) expect(functionKeyOfResource(state.Resource), `${from} -> ${name}`).toBe('notify');
      if (end.Type === 'Fail') expect(before.every(([, s]) => (s.Parameters as { outcome: string }).outcome !== 'succeeded'), name).toBe(true);
    }
    if (key === 'failover') expect(states.Degraded?.Type).toBe('Fail');
  });

  it('uses JSONPath only (aws-local-stepfunctions ignores JSONata, Assign, Arguments, Output)', () => {
    const text = JSON.stringify(definition);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const field of ['"Assign"', '"Arguments"', '"Output"', '{%']) expect(text).not.toContain(field);
  });

  it('builds locally with the resources mapped to function keys', () => {
    const local = localDefinition(definition);
    expect(Object.values(local.tasks).every((k) => FUNCTION_KEYS.includes(k))).toBe(true);
    expect(JSON.stringify(local.definition)).not.toContain('Fn::GetAtt');
    const built = buildLocalStateMachine(definition, async () => ({}));
    expect(Object.keys(built.taskHandlers).sort()).toEqual(Object.keys(local.tasks).sort());
    const options = built.runOptions({ waitMs: 0, retryMs: 1 });
    expect(Object.keys(options.overrides?.waitTimeOverrides ?? {}).sort()).toEqual(local.waitStates.sort());
  });
});

describe('functionKeyOfResource', () => {
  it('maps serverless logical ids back to function keys', () => {
    expect(functionKeyOfResource({ 'Fn::GetAtt': ['SetEdgeRouteLambdaFunction', 'Arn'] })).toBe('setEdgeRoute');
    expect(functionKeyOfResource({ 'Fn::GetAtt': ['NotifyLambdaFunction', 'Arn'] })).toBe('notify');
    expect(functionKeyOfResource('arn:aws:states:::aws-sdk:medialive:startChannel')).toBeUndefined();
    expect(functionKeyOfResource({ 'Fn::GetAtt': ['LedgerTable', 'Arn'] })).toBeUndefined();
  });
});

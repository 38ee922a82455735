// Given serverless.yml and the state machines as they deploy, every time budget nests: an AWS call's worst
// case fits inside its Lambda's timeout, a Lambda's timeout is at least its Task's TimeoutSeconds (so the Task
// times out and its Retry applies, instead of a function timeout going to Catch and rollback), and every step
// retries a function timeout (every step is a reconciler: running it again is safe).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadServerlessConfig, type ServerlessConfig } from '../../deploy/serverless-config.js';
import { EXECUTION_TIMEOUT_SECONDS } from '../../functions/domain/ledger/rules.js';
import { MAX_DWELL_SECONDS, PolicySchema } from '../../functions/domain/registry/schema.js';
import { lockTtlMs } from '../../functions/domain/triage/index.js';
import { BUDGETS, worstCaseMs, type BudgetName } from '../../functions/lib/aws-clients.js';
import { everyState, functionKeyOfResource } from '../../sandbox/aws/state-machine-runner.js';
import { REPO } from './service-dir.js';

interface TaskState {
  Type: 'Task';
  Resource: unknown;
  Parameters?: { FunctionName?: unknown };
  TimeoutSeconds?: number;
  Retry?: Array<{ ErrorEquals: string[] }>;
}

/** The budget each function's clients use (functions/lib/aws-clients.ts callers). */
const BUDGET_OF: Record<string, BudgetName[]> = { triage: ['triage', 'confirm'], probe: ['probe'] };
const budgetsOf = (functionKey: string): BudgetName[] => BUDGET_OF[functionKey] ?? ['step'];

let config: ServerlessConfig;
/** A lambda:invoke Task naming its function (flatline-<stage>-<key>, as serverless.yml names it): its key. */
const invokedByName = (task: TaskState): string | undefined => {
  const name = task.Resource === 'arn:aws:states:::lambda:invoke' ? task.Parameters?.FunctionName : undefined;
  return typeof name === 'string' && name === `flatline-example-${name.split('-').at(-1)}` ? name.split('-').at(-1) : undefined;
};
let tasks: Array<{ machine: string; state: string; functionKey: string; task: TaskState }>;
beforeAll(async () => {
  config = await loadServerlessConfig(join(REPO, 'serverless.yml'), { stage: 'example', region: 'us-west-2', accountId: '123456789012' });
  tasks = Object.values(config.stateMachines).flatMap((m) =>
    Object.entries(everyState(m.definition) as Record<string, { Type: string }>)
      .filter((entry): entry is [string, TaskState] => entry[1].Type === 'Task')
      .map(([state, task]) => ({ machine: m.key, state, functionKey: functionKeyOfResource(task.Resource) ?? invokedByName(task) ?? '?', task })),
  );
});

describe('time budgets of the deployed stack', () => {
  it('reads every Task of the state machines and maps it to a function of serverless.yml', () => {
    expect(new Set(tasks.map((t) => t.machine))).toEqual(new Set(['failover', 'failback', 'recheck']));
    for (const t of tasks) expect(config.functions[t.functionKey], `${t.machine}.${t.state}`).toBeDefined();
  });

  it("a function's timeout is at least the TimeoutSeconds of every Task that invokes it", () => {
    const short = tasks
      .filter((t) => (t.task.TimeoutSeconds ?? 0) > config.functions[t.functionKey]!.timeoutSeconds)
      .map((t) => `${t.machine}.${t.state}: Task ${t.task.TimeoutSeconds} s > ${t.functionKey} ${config.functions[t.functionKey]!.timeoutSeconds} s`);
    expect(short).toEqual([]);
  });

  it('every Task retries a function timeout and an unhandled runtime error (Lambda.Unknown)', () => {
    const missing = tasks
      .filter((t) => !['Lambda.Unknown', 'Sandbox.Timedout', 'States.Timeout'].every((e) => t.task.Retry?.some((r) => r.ErrorEquals.includes(e))))
      .map((t) => `${t.machine}.${t.state}`);
    expect(missing).toEqual([]);
  });

  it("one AWS call's worst case (timeouts x attempts + backoff) fits inside the timeout of every function that makes it", () => {
    const over = Object.values(config.functions).flatMap((fn) =>
      budgetsOf(fn.key)
        .filter((b) => worstCaseMs(BUDGETS[b]) >= fn.timeoutSeconds * 1000)
        .map((b) => `${fn.key} (${fn.timeoutSeconds} s): budget ${b} worst case ${worstCaseMs(BUDGETS[b])} ms`),
    );
    expect(over).toEqual([]);
  });

  it('the incident lock outlives every execution: sized from the state machines\' TimeoutSeconds', () => {
    // The incidents (failover, failback) hold the lock; the re-check holds none and waits out a whole dwell.
    for (const m of Object.values(config.stateMachines).filter((x) => x.key !== 'recheck')) {
      expect(m.definition.TimeoutSeconds, m.key).toBe(EXECUTION_TIMEOUT_SECONDS);
    }
    expect(PolicySchema.shape.minDwellSeconds.safeParse(MAX_DWELL_SECONDS + 1).success).toBe(false);
    expect(config.stateMachines.recheck?.definition.TimeoutSeconds).toBeGreaterThan(MAX_DWELL_SECONDS + config.functions.triage!.timeoutSeconds);
    // Triage takes the lock before StartExecution: the lock must also cover that (one triage invocation).
    expect(lockTtlMs()).toBeGreaterThanOrEqual((EXECUTION_TIMEOUT_SECONDS + config.functions.triage!.timeoutSeconds) * 1000);
  });

  it("triage's confirmation of an outage never waits on the failing region for more than 2 s", () => {
    expect(worstCaseMs(BUDGETS.confirm)).toBeLessThanOrEqual(2_000);
    expect(BUDGETS.confirm.maxAttempts).toBe(1);
  });
});

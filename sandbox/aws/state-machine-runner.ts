// Runs the REAL ASL of statemachines/ in-process with aws-local-stepfunctions, every Task mapped to the real
// Lambda handler of its function. One place for this, used by the state machine tests, the failover
// benchmark and the AWS sandbox's Step Functions (which passes its own `invoke`, e.g. LambdaRuntime.invoke).
//
// Task resources are written for serverless.yml: {"Fn::GetAtt": ["SetEdgeRouteLambdaFunction", "Arn"]} is the
// serverless logical id of the function key `setEdgeRoute`. aws-local-stepfunctions wants an ARN string, so
// they are replaced by fake Lambda ARNs and each Task *state* is mapped to its function key.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';

export type Definition = Record<string, unknown>;
/** Invokes the function `functionKey` (as serverless.yml names it) with `event`; errors keep their name. */
export type Invoke = (functionKey: string, event: unknown) => Promise<unknown>;

const statemachines = fileURLToPath(new URL('../../statemachines/', import.meta.url));

/** The definitions statemachines/ holds, by serverless.yml state machine key. */
export const DEFINITION_FILES = {
  failover: `${statemachines}failover.asl.json`,
  failback: `${statemachines}failback.asl.json`,
} as const;
export type MachineKey = keyof typeof DEFINITION_FILES;

export function loadDefinition(pathOrKey: string): Definition {
  const path = (DEFINITION_FILES as Record<string, string>)[pathOrKey] ?? pathOrKey;
  return JSON.parse(readFileSync(path, 'utf8')) as Definition;
}

const LOGICAL_ID_SUFFIX = 'LambdaFunction';

/**
 * {"Fn::GetAtt": ["SnapshotRoutingLambdaFunction", "Arn"]} (or "SnapshotRoutingLambdaFunction.Arn") => "snapshotRouting",
 * the serverless function key behind the logical id; anything else => undefined.
 */
export function functionKeyOfResource(resource: unknown): string | undefined {
  const getAtt = (resource as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  const target = Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
  if (typeof target !== 'string' || !target.endsWith(LOGICAL_ID_SUFFIX)) return undefined;
  const logicalId = target.slice(0, -LOGICAL_ID_SUFFIX.length);
  return logicalId.charAt(0).toLowerCase() + logicalId.slice(1);
}

/** Every state of a definition by name, those of Parallel branches and Map processors included (names are unique machine-wide). */
export function everyState(definition: Definition): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, state] of Object.entries((definition.States ?? {}) as Record<string, Record<string, unknown>>)) {
    out[name] = state;
    for (const branch of (state.Branches as Definition[] | undefined) ?? []) Object.assign(out, everyState(branch));
    for (const field of ['Iterator', 'ItemProcessor'] as const) if (state[field]) Object.assign(out, everyState(state[field] as Definition));
  }
  return out;
}

export interface LocalDefinition {
  /** The definition with every GetAtt resource replaced by a fake Lambda ARN. */
  definition: Definition;
  /** Task state name => function key (states in Parallel branches and Map processors included). */
  tasks: Record<string, string>;
  waitStates: string[];
}

/** Rewrites the Task resources (recursively) and lists the Task and Wait states. */
export function localDefinition(definition: Definition, opts: { region?: string; accountId?: string } = {}): LocalDefinition {
  const region = opts.region ?? 'us-west-2';
  const accountId = opts.accountId ?? '123456789012';
  const tasks: Record<string, string> = {};
  const waitStates: string[] = [];
  const walk = (machine: Definition): Definition => {
    const states = (machine.States ?? {}) as Record<string, Record<string, unknown>>;
    const out: Record<string, unknown> = {};
    for (const [name, state] of Object.entries(states)) {
      const copy: Record<string, unknown> = { ...state };
      if (state.Type === 'Wait') waitStates.push(name);
      if (state.Type === 'Task') {
        const key = functionKeyOfResource(state.Resource);
        if (key) {
          tasks[name] = key;
          copy.Resource = `arn:aws:lambda:${region}:${accountId}:function:${key}`;
        }
      }
      if (Array.isArray(state.Branches)) copy.Branches = (state.Branches as Definition[]).map(walk);
      for (const field of ['Iterator', 'ItemProcessor'] as const) {
        if (state[field]) copy[field] = walk(state[field] as Definition);
      }
      out[name] = copy;
    }
    return { ...machine, States: out };
  };
  return { definition: walk(definition), tasks, waitStates };
}

export interface LocalStateMachine {
  machine: StateMachine;
  tasks: Record<string, string>;
  /** Task state name => local handler (what aws-local-stepfunctions' taskResourceLocalHandlers wants). */
  taskHandlers: Record<string, (input: unknown) => Promise<unknown>>;
  /**
   * Run options with the task handlers, every Wait state shortened to `waitMs` and every retry interval to
   * `retryMs` (tests and benchmarks: the real waits are the sandbox's business, not the interpreter's).
   */
  runOptions(opts?: { waitMs?: number; retryMs?: number }): RunOptions;
}

/** Builds ONE StateMachine (construction validates, ~140 ms: build once, run many times). */
export function buildLocalStateMachine(definition: Definition | string, invoke: Invoke = invokeStepHandler): LocalStateMachine {
  const local = localDefinition(typeof definition === 'string' ? loadDefinition(definition) : definition);
  const machine = new StateMachine(local.definition as unknown as StateMachineDefinition);
  const taskHandlers = Object.fromEntries(
    Object.entries(local.tasks).map(([state, key]) => [state, (input: unknown) => invoke(key, input)]),
  );
  return {
    machine,
    tasks: local.tasks,
    taskHandlers,
    runOptions: ({ waitMs, retryMs } = {}) => ({
      overrides: {
        taskResourceLocalHandlers: taskHandlers as NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers'],
        ...(waitMs !== undefined ? { waitTimeOverrides: Object.fromEntries(local.waitStates.map((s) => [s, waitMs])) } : {}),
        ...(retryMs !== undefined ? { retryIntervalOverrides: Object.fromEntries(Object.keys(local.tasks).map((s) => [s, retryMs])) } : {}),
      },
    }),
  };
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const handlers = new Map<string, Promise<Handler>>();

/** functions/steps/<kebab-key>/handler.ts, the FIXED layout of the step functions (shared-engine names). */
export function stepHandlerPath(functionKey: string): string {
  const kebab = functionKey.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return fileURLToPath(new URL(`../../functions/steps/${kebab}/handler.ts`, import.meta.url));
}

/** The default Invoke: imports the real step handler module and calls it with a Lambda-shaped context. */
export async function invokeStepHandler(functionKey: string, event: unknown): Promise<unknown> {
  let loading = handlers.get(functionKey);
  if (!loading) {
    loading = import(pathToFileURL(stepHandlerPath(functionKey)).href).then((m: { handler: Handler }) => m.handler);
    handlers.set(functionKey, loading);
  }
  const handler = await loading;
  return handler(event, lambdaContext(functionKey));
}

export function lambdaContext(functionKey: string, timeoutMs = 60_000): Context {
  const requestId = randomUUID();
  const deadline = Date.now() + timeoutMs;
  const functionName = `flatline-local-${functionKey}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-west-2:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

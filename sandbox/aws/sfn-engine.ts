// The Step Functions execution engine on top of aws-local-stepfunctions: the real ASL from serverless.yml,
// each Lambda Task mapped to the real handler module of its function. One StateMachine instance per definition and
// process (construction validates the ASL and costs 0.1-2 s; runs share the instance, their overrides are per
// run), built lazily on first use or by preload(), and reused by every sandbox started later.
// StartExecution follows the documented rules for a reused name: the original execution open and the same
// input => the original's response, no second run; different input, or the original closed => ExecutionAlreadyExists.
import { functionKeyOfResource } from './state-machine-runner.js';
import { StateMachine } from 'aws-local-stepfunctions';
import type { LambdaRuntime } from './lambda-runtime.js';
import type { StateMachineConfig } from '../../deploy/serverless-config.js';
import { ACCOUNT_ID, AwsServiceError } from './wire.js';
import { foldEvent, type ExecutionRecord } from './sfn-history.js';
import { QUOTAS, utf8Bytes } from './quotas.js';

export interface StepFunctionsOptions {
  region: string;
  machines: StateMachineConfig[];
  lambda: LambdaRuntime;
  /** Scales static Wait `Seconds` and Retry `IntervalSeconds` (e.g. 0.01 = 100x faster). Explicit overrides win. */
  timeScale?: number;
  /** Static Wait `Seconds` over 30 are divided by this factor (a drill's one stated compression). */
  compressWaitsOver30s?: number;
  /** Every Wait state (Seconds, SecondsPath, Timestamp...) waits this many ms; per-state overrides win. */
  waitMs?: number;
  /** Per Wait state name: milliseconds (aws-local-stepfunctions waitTimeOverrides). */
  waitTimeOverrides?: Record<string, number>;
  /** Per retryable state name: milliseconds, or one value per retrier. */
  retryIntervalOverrides?: Record<string, number | number[]>;
}

interface Machine {
  config: StateMachineConfig;
  arn: string;
  /** The definition with Task resources replaced by fake Lambda ARNs. */
  definition: Record<string, unknown>;
  handlers: Record<string, (input: unknown) => Promise<unknown>>;
  /** Task state name => function key it runs (null: no local handler for its resource). */
  tasks: Record<string, string | null>;
  waitOverrides: Record<string, number>;
  retryOverrides: Record<string, number | number[]>;
  instance?: StateMachine;
  createdAt: Date;
}

type StateDef = Record<string, unknown>;
/** Validated StateMachine instances by definition (JSON), for every sandbox of this process. */
const built = new Map<string, StateMachine>();

/** Machines and executions; the wire operations (sfn.ts) sit on top. */
export class StepFunctionsEngine {
  protected readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly aborts = new Map<string, () => void>();
  private readonly listeners = new Set<(e: ExecutionRecord) => void>();

  constructor(protected readonly opts: StepFunctionsOptions) {
    for (const config of opts.machines) {
      const arn = `arn:aws:states:${opts.region}:${ACCOUNT_ID}:stateMachine:${config.name}`;
      this.machines.set(arn, this.prepare(config, arn));
    }
  }

  /** ARN of a state machine by its serverless.yml key (failover, failback). */
  arn(key: string): string {
    for (const m of this.machines.values()) if (m.config.key === key) return m.arn;
    throw new Error(`sandbox: no state machine "${key}" in serverless.yml`);
  }

  /** Task state name => the serverless function key it runs (null when its resource has no local handler). */
  taskFunctions(key: string): Record<string, string | null> {
    const m = this.machines.get(this.arn(key))!;
    return { ...m.tasks };
  }

  machineKeys(): string[] {
    return [...this.machines.values()].map((m) => m.config.key);
  }

  /** Builds every StateMachine now (validation ~140 ms each) so the first execution does not pay it. */
  preload(): void {
    for (const m of this.machines.values()) this.instance(m);
  }

  /** Every execution so far, oldest first. */
  list(): ExecutionRecord[] {
    return [...this.executions.values()];
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.executions.get(executionArn);
  }

  /** Called when an execution ends. */
  onExecutionEnd(listener: (e: ExecutionRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every execution started so far has ended. */
  async idle(): Promise<void> {
    for (;;) {
      const running = this.list().filter((e) => e.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.all(running.map((e) => e.done));
    }
  }

  /** StartExecution in-process (same rules as the API). */
  start(stateMachineArnOrKey: string, input: unknown = {}, name?: string): ExecutionRecord {
    const arn = this.machines.has(stateMachineArnOrKey) ? stateMachineArnOrKey : this.arn(stateMachineArnOrKey);
    return this.startExecution(arn, typeof input === 'string' ? input : JSON.stringify(input), name);
  }

  /** Aborts every running execution (sandbox stop). */
  stopAll(): void {
    for (const abort of this.aborts.values()) abort();
    this.aborts.clear();
  }
  protected machine(arn: string): Machine {
    const m = this.machines.get(arn);
    if (!m) throw new AwsServiceError(400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  protected find(executionArn: string): ExecutionRecord {
    const e = this.executions.get(executionArn);
    if (!e) throw new AwsServiceError(400, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return e;
  }

  private instance(m: Machine): StateMachine {
    if (m.instance) return m.instance;
    const key = JSON.stringify(m.definition);
    let instance = built.get(key);
    if (!instance) {
      instance = new StateMachine(m.definition as unknown as ConstructorParameters<typeof StateMachine>[0], { validationOptions: { checkArn: false } });
      built.set(key, instance);
    }
    m.instance = instance;
    return instance;
  }

  protected startExecution(stateMachineArn: string, input: string, name?: string): ExecutionRecord {
    const m = this.machine(stateMachineArn);
    if (utf8Bytes(input) > QUOTAS.sfnPayloadBytes) {
      throw new AwsServiceError(400, 'InvalidExecutionInput', `Invalid State Machine Execution Input: ${utf8Bytes(input)} bytes exceeds the maximum of ${QUOTAS.sfnPayloadBytes}`);
    }
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      throw new AwsServiceError(400, 'InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
    }
    const execName = name ?? crypto.randomUUID();
    if (!validExecutionName(execName)) {
      throw new AwsServiceError(400, 'InvalidName', `Invalid Name: '${execName}'`);
    }
    const executionArn = `arn:aws:states:${this.opts.region}:${ACCOUNT_ID}:execution:${m.config.name}:${execName}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new AwsServiceError(400, 'ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const startDate = new Date();
    let finish!: (e: ExecutionRecord) => void;
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: m.arn,
      stateMachineKey: m.config.key,
      name: execName,
      input,
      status: 'RUNNING',
      startDate,
      timeline: [],
      events: [],
      done: new Promise<ExecutionRecord>((r) => (finish = r)),
    };
    this.executions.set(executionArn, record);
    const run = this.instance(m).run(parsedInput as Parameters<StateMachine['run']>[0], {
      overrides: { taskResourceLocalHandlers: m.handlers as never, waitTimeOverrides: m.waitOverrides, retryIntervalOverrides: m.retryOverrides },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: executionArn, Name: execName, StartTime: startDate.toISOString(), Input: parsedInput as never, RoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/${m.config.name}-role` },
        StateMachine: { Id: m.arn, Name: m.config.name },
      },
    });
    this.aborts.set(executionArn, run.abort);
    const collect = (async () => {
      for await (const ev of run.eventLogs) foldEvent(record, ev);
    })();
    void Promise.allSettled([run.result, collect]).then(([result]) => {
      this.aborts.delete(executionArn);
      if (record.status === 'RUNNING') {
        if (result.status === 'fulfilled' && record.status === 'RUNNING') {
          record.status = 'SUCCEEDED';
          record.output = JSON.stringify(result.value ?? null);
        } else if (result.status === 'rejected') {
          const err = result.reason as { name?: string; message?: string; cause?: { name?: string; message?: string } };
          record.status = err?.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED';
          record.error ??= err?.cause?.name ?? err?.name ?? 'States.Runtime';
          record.cause ??= err?.cause?.message ?? err?.message ?? '';
        }
      }
      record.stopDate ??= new Date();
      for (const l of this.listeners) l(record);
      finish(record);
    });
    return record;
  }


  /** StopExecution: a running execution becomes ABORTED (with the caller's error and cause). */
  protected stop(executionArn: string, error?: string, cause?: string): ExecutionRecord {
    const e = this.find(executionArn);
    if (e.status === 'RUNNING') {
      e.status = 'ABORTED';
      if (error !== undefined) e.error = error;
      if (cause !== undefined) e.cause = cause;
      e.stopDate = new Date();
      this.aborts.get(e.executionArn)?.();
    }
    return e;
  }

  /** Maps Task resources to handler modules and computes the time-scale overrides. */
  private prepare(config: StateMachineConfig, arn: string): Machine {
    const definition = structuredClone(config.definition);
    const handlers: Machine['handlers'] = {};
    const tasks: Machine['tasks'] = {};
    const waitOverrides: Record<string, number> = {};
    const retryOverrides: Record<string, number | number[]> = {};
    const scale = this.opts.timeScale;
    walkStates(definition, (name, state) => {
      if (state.Type === 'Task') {
        const target = this.taskTarget(state);
        if (target) {
          state.Resource = `arn:aws:lambda:${this.opts.region}:${ACCOUNT_ID}:function:sandbox-${target.functionKey}`;
          handlers[name] = async (input) => {
            const output = await target.invoke(input);
            // A state's output over 256 KiB fails the execution (States.DataLimitExceeded is not retried by States.ALL).
            const bytes = utf8Bytes(JSON.stringify(output ?? null));
            if (bytes > QUOTAS.sfnPayloadBytes) throw Object.assign(new Error(`state ${name} output is ${bytes} bytes; the limit is ${QUOTAS.sfnPayloadBytes}`), { name: 'States.DataLimitExceeded' });
            return output;
          };
          tasks[name] = target.functionKey;
        } else {
          tasks[name] = null;
          const resource = JSON.stringify(state.Resource);
          handlers[name] = () => Promise.reject(Object.assign(new Error(`sandbox: no local handler for Task resource ${resource}`), { name: 'Sandbox.UnsupportedResource' }));
        }
      }
      if (state.Type === 'Wait' && this.opts.waitMs !== undefined) waitOverrides[name] = this.opts.waitMs;
      const compress = this.opts.compressWaitsOver30s;
      if (compress !== undefined && state.Type === 'Wait' && typeof state.Seconds === 'number' && state.Seconds > 30) waitOverrides[name] = (state.Seconds * 1000) / compress;
      if (scale !== undefined) {
        if (state.Type === 'Wait' && typeof state.Seconds === 'number') waitOverrides[name] = state.Seconds * 1000 * scale;
        if (Array.isArray(state.Retry)) {
          retryOverrides[name] = (state.Retry as StateDef[]).map((r) => Number(r.IntervalSeconds ?? 1) * 1000 * scale);
        }
      }
    });
    Object.assign(waitOverrides, this.opts.waitTimeOverrides);
    Object.assign(retryOverrides, this.opts.retryIntervalOverrides);
    return { config, arn, definition, handlers, tasks, waitOverrides, retryOverrides, createdAt: new Date() };
  }

  /**
   * The function a Task runs: `{"Fn::GetAtt": ["SetEdgeRouteLambdaFunction", "Arn"]}` (the serverless logical id of
   * function key setEdgeRoute), a Lambda ARN or name ending in the function key, or `arn:aws:states:::lambda:invoke`
   * with such a FunctionName (then the handler gets Payload and the result is wrapped as {Payload, StatusCode}).
   */
  private taskTarget(state: StateDef): { functionKey: string; invoke: (input: unknown) => Promise<unknown> } | undefined {
    const lambda = this.opts.lambda;
    const direct = this.functionKeyOf(state.Resource);
    if (direct) return { functionKey: direct, invoke: (input) => lambda.invoke(direct, input) };
    if (state.Resource === 'arn:aws:states:::lambda:invoke' && state.Parameters && typeof state.Parameters === 'object') {
      const params = state.Parameters as Record<string, unknown>;
      const key = this.functionKeyOf(params.FunctionName ?? params['FunctionName.$']);
      if (!key) return undefined;
      return {
        functionKey: key,
        invoke: async (input) => {
          const payload = (input as { Payload?: unknown } | null)?.Payload ?? input;
          return { Payload: await lambda.invoke(key, payload), StatusCode: 200 };
        },
      };
    }
    return undefined;
  }

  private functionKeyOf(ref: unknown): string | undefined {
    const keys = this.opts.lambda.keys();
    if (ref && typeof ref === 'object') {
      const key = functionKeyOfResource(ref);
      return key && keys.includes(key) ? key : undefined;
    }
    if (typeof ref === 'string') {
      const tail = ref.split(':function:')[1] ?? ref;
      return keys.find((k) => tail === k || tail.endsWith(`-${k}`));
    }
    return undefined;
  }
}

/** Visits every state, including those inside Parallel branches and Map processors. */
function walkStates(def: Record<string, unknown>, visit: (name: string, state: StateDef) => void): void {
  const states = def.States as Record<string, StateDef> | undefined;
  for (const [name, state] of Object.entries(states ?? {})) {
    visit(name, state);
    for (const branch of (state.Branches as Record<string, unknown>[] | undefined) ?? []) walkStates(branch, visit);
    const processor = (state.ItemProcessor ?? state.Iterator) as Record<string, unknown> | undefined;
    if (processor) walkStates(processor, visit);
  }
}

/** StartExecution's name rules: 1-80 chars, no whitespace, brackets, wildcards, listed specials or control chars. */
function validExecutionName(name: string): boolean {
  if (name.length < 1 || name.length > 80) return false;
  if (/[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(name)) return false;
  return ![...name].some((ch) => {
    const c = ch.charCodeAt(0);
    return c <= 0x1f || (c >= 0x7f && c <= 0x9f);
  });
}

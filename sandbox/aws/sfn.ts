// Step Functions over JSON 1.0 on top of aws-local-stepfunctions: the real ASL from serverless.yml, each
// Lambda Task mapped to the real handler module of its function. One StateMachine instance per definition and
// process (construction validates the ASL and costs 0.1-2 s; runs share the instance, their overrides are per
// run), built lazily on first use or by preload(), and reused by every sandbox started later.
// StartExecution follows the documented rules for a reused name: the original execution open and the same
// input => the original's response, no second run; different input, or the original closed => ExecutionAlreadyExists.
import { functionKeyOfResource } from './state-machine-runner.js';
import { StateMachine } from 'aws-local-stepfunctions';
import type { LambdaRuntime } from './lambda-runtime.js';
import type { StateMachineConfig } from '../../deploy/serverless-config.js';
import {
  ACCOUNT_ID,
  AwsServiceError,
  awsJsonError,
  json,
  parseJsonBody,
  stringMember,
  type ResolvedOperation,
  type SandboxService,
  type WireRequest,
  type WireResponse,
} from './wire.js';

const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** One entry of the library's execution event log (the type is not exported by the package). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer T> ? T : never;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One state's visit in an execution (a state visited twice appears twice). */
export interface TimelineEntry {
  state: string;
  type: string;
  enteredAt: number;
  exitedAt?: number;
  durationMs?: number;
  input: unknown;
  output?: unknown;
  /** Error of a failed attempt (retried or caught) or of the final failure. */
  errors: Array<{ error: string; cause: unknown; at: number }>;
  retries: number;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineKey: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  timeline: TimelineEntry[];
  /** The library's raw event log, in order. */
  events: EventLog[];
  /** Resolves when the execution has ended (never rejects). */
  done: Promise<ExecutionRecord>;
}

export interface StepFunctionsOptions {
  region: string;
  machines: StateMachineConfig[];
  lambda: LambdaRuntime;
  /** Scales static Wait `Seconds` and Retry `IntervalSeconds` (e.g. 0.01 = 100x faster). Explicit overrides win. */
  timeScale?: number;
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

export class StepFunctionsService implements SandboxService {
  readonly name = 'states' as const;
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly aborts = new Map<string, () => void>();
  private readonly listeners = new Set<(e: ExecutionRecord) => void>();

  constructor(private readonly opts: StepFunctionsOptions) {
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

  throttleError(): AwsServiceError {
    return new AwsServiceError(400, 'ThrottlingException', 'Rate exceeded');
  }

  renderError(err: AwsServiceError): WireResponse {
    return awsJsonError(err, CONTENT_TYPE);
  }

  resolve(req: WireRequest): ResolvedOperation {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'Unknown';
    const body = (): Record<string, unknown> => parseJsonBody<Record<string, unknown>>(req);
    const ok = (v: unknown): WireResponse => json(200, v, { 'content-type': CONTENT_TYPE });
    switch (operation) {
      case 'StartExecution':
        return {
          operation,
          mutating: true,
          run: () => {
            const b = body();
            const input = stringMember(b, 'input') ?? '{}';
            const e = this.startExecution(stringMember(b, 'stateMachineArn') ?? '', input, stringMember(b, 'name'));
            return ok({ executionArn: e.executionArn, startDate: seconds(e.startDate) });
          },
        };
      case 'DescribeExecution':
        return { operation, mutating: false, run: () => ok(describeExecution(this.find(String(body().executionArn)))) };
      case 'ListExecutions':
        return { operation, mutating: false, run: () => ok(this.listExecutions(body())) };
      case 'GetExecutionHistory':
        return { operation, mutating: false, run: () => ok(this.history(body())) };
      case 'StopExecution':
        return { operation, mutating: true, run: () => ok(this.stopExecution(body())) };
      case 'DescribeStateMachine':
        return {
          operation,
          mutating: false,
          run: () => {
            const m = this.machine(String(body().stateMachineArn));
            return ok({
              stateMachineArn: m.arn,
              name: m.config.name,
              status: 'ACTIVE',
              definition: JSON.stringify(m.config.definition),
              roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/${m.config.name}-role`,
              type: 'STANDARD',
              creationDate: seconds(m.createdAt),
            });
          },
        };
      case 'ListStateMachines':
        return {
          operation,
          mutating: false,
          run: () =>
            ok({
              stateMachines: [...this.machines.values()].map((m) => ({ stateMachineArn: m.arn, name: m.config.name, type: 'STANDARD', creationDate: seconds(m.createdAt) })),
            }),
        };
      default:
        return {
          operation,
          mutating: false,
          run: () => {
            throw new AwsServiceError(400, 'UnknownOperationException', `sandbox Step Functions does not implement ${operation}`);
          },
        };
    }
  }

  private machine(arn: string): Machine {
    const m = this.machines.get(arn);
    if (!m) throw new AwsServiceError(400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  private find(executionArn: string): ExecutionRecord {
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

  private startExecution(stateMachineArn: string, input: string, name?: string): ExecutionRecord {
    const m = this.machine(stateMachineArn);
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
      for await (const ev of run.eventLogs) this.record(record, ev);
    })();
    // Runs in the background like a real execution: callers wait on the record (idle(), onExecutionEnd), and
    // allSettled never rejects (a failed run is the record's FAILED/TIMED_OUT status).
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

  /** Folds one library event into the record: status, timeline. */
  private record(rec: ExecutionRecord, ev: EventLog): void {
    rec.events.push(ev);
    const open = (name: string): TimelineEntry | undefined => [...rec.timeline].reverse().find((t) => t.state === name && t.exitedAt === undefined);
    switch (ev.type) {
      case 'StateEntered':
        rec.timeline.push({ state: ev.state.name, type: ev.state.type, enteredAt: ev.timestamp, input: ev.state.input, errors: [], retries: 0 });
        break;
      case 'StateExited': {
        const t = open(ev.state.name);
        if (t) {
          t.exitedAt = ev.timestamp;
          t.durationMs = ev.timestamp - t.enteredAt;
          t.output = ev.state.output;
        }
        break;
      }
      case 'StateFailed': {
        const t = open(ev.state.name);
        if (t) {
          t.errors.push({ error: ev.Error, cause: ev.Cause, at: ev.timestamp });
          t.exitedAt = ev.timestamp;
          t.durationMs = ev.timestamp - t.enteredAt;
        }
        break;
      }
      case 'StateRetried': {
        // The failed attempt closed the entry; the retry re-opens it (same visit, one more attempt).
        const t = [...rec.timeline].reverse().find((x) => x.state === ev.state.name);
        if (t) {
          t.retries = Math.max(t.retries, ev.retry.attempt);
          delete t.exitedAt;
          delete t.durationMs;
        }
        break;
      }
      case 'ExecutionSucceeded':
        rec.status = 'SUCCEEDED';
        rec.output = JSON.stringify(ev.output ?? null);
        rec.stopDate = new Date(ev.timestamp);
        break;
      case 'ExecutionFailed':
        rec.status = 'FAILED';
        rec.error = ev.Error;
        rec.cause = typeof ev.Cause === 'string' ? ev.Cause : JSON.stringify(ev.Cause);
        rec.stopDate = new Date(ev.timestamp);
        break;
      case 'ExecutionAborted':
        rec.status = 'ABORTED';
        rec.stopDate = new Date(ev.timestamp);
        break;
      case 'ExecutionTimeout':
        rec.status = 'TIMED_OUT';
        rec.stopDate = new Date(ev.timestamp);
        break;
      default:
        break;
    }
  }

  private listExecutions(b: Record<string, unknown>): Record<string, unknown> {
    const m = this.machine(String(b.stateMachineArn));
    const filter = stringMember(b, 'statusFilter');
    const all = this.list()
      .filter((e) => e.stateMachineArn === m.arn && (!filter || e.status === filter))
      .reverse();
    const start = Number(b.nextToken ?? 0) || 0;
    const max = Number(b.maxResults ?? 100) || 100;
    const page = all.slice(start, start + max);
    return {
      executions: page.map(executionListItem),
      ...(start + max < all.length ? { nextToken: String(start + max) } : {}),
    };
  }

  private history(b: Record<string, unknown>): Record<string, unknown> {
    const e = this.find(String(b.executionArn));
    const events = historyEvents(e);
    if (b.reverseOrder === true) events.reverse();
    const start = Number(b.nextToken ?? 0) || 0;
    const max = Number(b.maxResults ?? 1000) || 1000;
    return { events: events.slice(start, start + max), ...(start + max < events.length ? { nextToken: String(start + max) } : {}) };
  }

  private stopExecution(b: Record<string, unknown>): Record<string, unknown> {
    const e = this.find(String(b.executionArn));
    if (e.status === 'RUNNING') {
      e.status = 'ABORTED';
      e.error = stringMember(b, 'error') ?? e.error;
      e.cause = stringMember(b, 'cause') ?? e.cause;
      e.stopDate = new Date();
      this.aborts.get(e.executionArn)?.();
    }
    return { stopDate: seconds(e.stopDate ?? new Date()) };
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
          handlers[name] = target.invoke;
          tasks[name] = target.functionKey;
        } else {
          tasks[name] = null;
          const resource = JSON.stringify(state.Resource);
          handlers[name] = () => Promise.reject(Object.assign(new Error(`sandbox: no local handler for Task resource ${resource}`), { name: 'Sandbox.UnsupportedResource' }));
        }
      }
      if (state.Type === 'Wait' && this.opts.waitMs !== undefined) waitOverrides[name] = this.opts.waitMs;
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

const seconds = (d: Date): number => d.getTime() / 1000;

/** ListExecutions' ExecutionListItem; DescribeExecution answers these fields and more. */
function executionListItem(e: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: seconds(e.startDate),
    ...(e.stopDate ? { stopDate: seconds(e.stopDate) } : {}),
  };
}

function describeExecution(e: ExecutionRecord): Record<string, unknown> {
  return {
    ...executionListItem(e),
    input: e.input,
    inputDetails: { included: true },
    ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  };
}

/** The library's event log in GetExecutionHistory's shape (HistoryEvent types and *EventDetails). */
function historyEvents(e: ExecutionRecord): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const push = (timestamp: number, type: string, details: Record<string, unknown> = {}): void => {
    const id = out.length + 1;
    out.push({ timestamp: timestamp / 1000, type, id, previousEventId: id - 1, ...details });
  };
  const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));
  const lambdaTask = { resourceType: 'lambda', resource: 'invoke' };
  // A Lambda Task's attempt in AWS's history: TaskScheduled, TaskStarted, then TaskSucceeded or TaskFailed.
  const scheduled = (at: number, input: unknown): void => {
    push(at, 'TaskScheduled', { taskScheduledEventDetails: { ...lambdaTask, region: e.stateMachineArn.split(':')[3], parameters: str(input) } });
    push(at, 'TaskStarted', { taskStartedEventDetails: lambdaTask });
  };
  for (const ev of e.events) {
    switch (ev.type) {
      case 'ExecutionStarted':
        push(ev.timestamp, 'ExecutionStarted', { executionStartedEventDetails: { input: e.input, inputDetails: { truncated: false } } });
        break;
      case 'ExecutionSucceeded':
        push(ev.timestamp, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: e.output ?? 'null', outputDetails: { truncated: false } } });
        break;
      case 'ExecutionFailed':
        push(ev.timestamp, 'ExecutionFailed', { executionFailedEventDetails: { error: ev.Error, cause: str(ev.Cause) } });
        break;
      case 'ExecutionAborted':
        push(ev.timestamp, 'ExecutionAborted', { executionAbortedEventDetails: {} });
        break;
      case 'ExecutionTimeout':
        push(ev.timestamp, 'ExecutionTimedOut', { executionTimedOutEventDetails: {} });
        break;
      case 'StateEntered':
        push(ev.timestamp, `${ev.state.type}StateEntered`, { stateEnteredEventDetails: { name: ev.state.name, input: str(ev.state.input) } });
        if (ev.state.type === 'Task') scheduled(ev.timestamp, ev.state.input);
        break;
      case 'StateRetried':
        if (ev.state.type === 'Task') scheduled(ev.timestamp, ev.state.input);
        break;
      case 'StateExited':
        if (ev.state.type === 'Task') push(ev.timestamp, 'TaskSucceeded', { taskSucceededEventDetails: { ...lambdaTask, output: str(ev.state.output) } });
        push(ev.timestamp, `${ev.state.type}StateExited`, { stateExitedEventDetails: { name: ev.state.name, output: str(ev.state.output) } });
        break;
      case 'StateFailed':
        if (ev.state.type === 'Task') {
          push(ev.timestamp, 'TaskFailed', { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: ev.Error, cause: str(ev.Cause) } });
        }
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        push(ev.timestamp, ev.type, { mapIterationStartedEventDetails: { name: ev.parentState.name, index: ev.index } });
        break;
      default:
        break;
    }
  }
  return out;
}

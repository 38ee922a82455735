// Step Functions executions as records: the library's event log folded into a status and a per-state
// timeline, and the shapes the API answers with (ExecutionListItem, DescribeExecution, GetExecutionHistory).
import type { StateMachine } from 'aws-local-stepfunctions';

/** One entry of the library's execution event log (the type is not exported by the package). */
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer T> ? T : never;

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

/** Folds one library event into the record: status, timeline. */
export function foldEvent(rec: ExecutionRecord, ev: EventLog): void {
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

export const seconds = (d: Date): number => d.getTime() / 1000;

/** ListExecutions' ExecutionListItem; DescribeExecution answers these fields and more. */
export function executionListItem(e: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: seconds(e.startDate),
    ...(e.stopDate ? { stopDate: seconds(e.stopDate) } : {}),
  };
}

export function describeExecution(e: ExecutionRecord): Record<string, unknown> {
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
export function historyEvents(e: ExecutionRecord): Record<string, unknown>[] {
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

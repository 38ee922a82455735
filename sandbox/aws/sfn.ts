// Step Functions over JSON 1.0: the wire operations over the execution engine (sfn-engine.ts); the
// shapes of the answers and the history come from sfn-history.ts.
import { StepFunctionsEngine } from './sfn-engine.js';
import { describeExecution, executionListItem, historyEvents, seconds } from './sfn-history.js';
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

export type { StepFunctionsOptions } from './sfn-engine.js';
export type { ExecutionRecord, ExecutionStatus, TimelineEntry } from './sfn-history.js';

const CONTENT_TYPE = 'application/x-amz-json-1.0';

export class StepFunctionsService extends StepFunctionsEngine implements SandboxService {
  readonly name = 'states' as const;

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
    const e = this.stop(String(b.executionArn), typeof b.error === 'string' ? b.error : undefined, typeof b.cause === 'string' ? b.cause : undefined);
    return { stopDate: seconds(e.stopDate ?? new Date()) };
  }
}

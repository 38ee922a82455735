// EventBridge: PutEvents over JSON 1.1, rules read from serverless.yml, Lambda targets invoked
// asynchronously like Lambda's async invoke (retried, then the event and the error go to the dead
// letters, as the triage function's on-failure destination would receive them).
// All regions share one bus here: MediaLive events of the primary region reach the same rules
// (in AWS that takes a cross-region rule; the control plane lives in the standby region).
import { randomUUID } from 'node:crypto';
import { matchesPattern } from './event-pattern.js';
import { lambdaPayloadSize, putEventsEntrySize, QUOTAS } from './quotas.js';
import type { LambdaRuntime } from './lambda-runtime.js';
import type { RuleConfig } from '../../deploy/serverless-config.js';
import {
  ACCOUNT_ID,
  AwsServiceError,
  awsJsonError,
  json,
  parseJsonBody,
  type ResolvedOperation,
  type SandboxService,
  type WireRequest,
  type WireResponse,
} from './wire.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** An event to put, in the PutEvents entry's terms (detail as an object). */
export interface SandboxEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  region?: string;
  resources?: string[];
  time?: string | Date;
  eventBusName?: string;
}

/** The event as EventBridge delivers it to a target. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface Delivery {
  eventId: string;
  rule: string;
  functionKey: string;
  attempts: number;
  ok: boolean;
  /** Epoch ms the target's last attempt ended. */
  at: number;
  result?: unknown;
  error?: { name: string; message: string };
}

export interface DeadLetter {
  event: EventEnvelope;
  rule: string;
  functionKey: string;
  attempts: number;
  error: { name: string; message: string };
}

export interface EventBridgeOptions {
  region: string;
  rules: RuleConfig[];
  lambda: LambdaRuntime;
  /** Overrides every function's maximumRetryAttempts (AWS default 2). Retries run immediately. */
  retryAttempts?: number;
  /** Before retry n (1 = the second attempt) of a failed async invocation, ms (world model); default: at once. */
  retryDelayMs?: (retry: number) => number;
  /** From the bus taking an event to its target invoked (world model); default: the next turn of the loop. */
  deliveryDelayMs?: () => number;
}

interface WireEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: number | string;
  EventBusName?: string;
}

export class EventBridgeService implements SandboxService {
  readonly name = 'events' as const;
  /** Every event put on the bus, in order. */
  readonly log: EventEnvelope[] = [];
  readonly deliveries: Delivery[] = [];
  readonly deadLetters: DeadLetter[] = [];
  rules: RuleConfig[];
  private readonly pending = new Set<Promise<void>>();
  private readonly listeners = new Set<(e: EventEnvelope) => void>();
  private paused = false;
  private closed = false;

  constructor(private readonly opts: EventBridgeOptions) {
    for (const r of opts.rules) {
      const chars = JSON.stringify(r.pattern).length;
      // PutRule refuses it: a serverless.yml with such a rule would not deploy.
      if (chars > QUOTAS.eventPatternChars) throw new AwsServiceError(400, 'InvalidEventPatternException', `rule ${r.name}: event pattern is ${chars} characters; the limit is ${QUOTAS.eventPatternChars}`);
    }
    this.rules = opts.rules;
  }

  /** Puts events on the bus (the in-process equivalent of PutEvents); returns the envelopes. */
  put(entries: SandboxEvent | SandboxEvent[]): EventEnvelope[] {
    return (Array.isArray(entries) ? entries : [entries]).map((e) => this.accept(envelope(e, this.opts.region)));
  }

  /** Called for every event put on the bus (before rules run). */
  onEvent(listener: (e: EventEnvelope) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops routing to targets (events are still logged): a scenario that wants to deliver by hand. */
  setRouting(enabled: boolean): void {
    this.paused = !enabled;
  }

  /**
   * The sandbox is going: deliveries still waiting (their delay, a retry's backoff) are dropped. The handlers
   * run in this process and read their endpoints from the environment, so a retry that outlived its sandbox
   * would act on the next one (a drill after an event storm).
   */
  close(): void {
    this.paused = true;
    this.closed = true;
  }

  /** Resolves when every target invocation started so far (and any they caused) has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** The rules whose pattern matches an event. */
  matchingRules(event: EventEnvelope): RuleConfig[] {
    return this.rules.filter((r) => matchesPattern(r.pattern, event));
  }

  throttleError(): AwsServiceError {
    return new AwsServiceError(400, 'ThrottlingException', 'Rate exceeded');
  }

  renderError(err: AwsServiceError): WireResponse {
    return awsJsonError(err, CONTENT_TYPE);
  }

  resolve(req: WireRequest): ResolvedOperation {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.split('.')[1] ?? 'Unknown';
    if (operation === 'PutEvents') return { operation, mutating: false, run: () => this.putEvents(req) };
    return {
      operation,
      mutating: false,
      run: () => {
        throw new AwsServiceError(400, 'UnknownOperationException', `sandbox EventBridge does not implement ${operation}`);
      },
    };
  }

  private putEvents(req: WireRequest): WireResponse {
    const body = parseJsonBody<{ Entries?: WireEntry[] }>(req);
    const entries = body.Entries ?? [];
    if (entries.length < 1 || entries.length > 10) throw new AwsServiceError(400, 'ValidationException', 'Entries must hold 1 to 10 entries');
    const total = entries.reduce((n, e) => n + putEventsEntrySize(e), 0);
    if (total > QUOTAS.putEventsEntryBytes) throw new AwsServiceError(400, 'ValidationException', 'Total size of the entries in the request is over the limit.');
    let failed = 0;
    const results = entries.map((e) => {
      let detail: unknown;
      try {
        detail = JSON.parse(e.Detail ?? '');
      } catch {
        detail = undefined;
      }
      if (!e.Source || !e.DetailType) {
        failed++;
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter(s) Source and DetailType are required.' };
      }
      if (!detail || typeof detail !== 'object' || Array.isArray(detail)) {
        failed++;
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      const time = e.Time === undefined ? undefined : typeof e.Time === 'number' ? new Date(e.Time * 1000) : e.Time;
      const env = this.accept(
        envelope(
          {
            source: e.Source,
            detailType: e.DetailType,
            detail: detail as Record<string, unknown>,
            resources: e.Resources ?? [],
            ...(time ? { time } : {}),
            ...(e.EventBusName ? { eventBusName: e.EventBusName } : {}),
          },
          req.region,
        ),
      );
      return { EventId: env.id };
    });
    return json(200, { FailedEntryCount: failed, Entries: results }, { 'content-type': CONTENT_TYPE });
  }

  private accept(env: EventEnvelope): EventEnvelope {
    this.log.push(env);
    for (const l of this.listeners) l(env);
    if (!this.paused) {
      for (const rule of this.matchingRules(env)) this.track(this.deliver(rule, env));
    }
    return env;
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    // Bookkeeping only: idle() awaits p itself, and deliver() never rejects (a failed invocation is retried,
    // then a dead letter).
    void p.finally(() => this.pending.delete(p));
  }

  /** Lambda async invoke: the first attempt plus maximumRetryAttempts retries, then the dead letters. */
  private async deliver(rule: RuleConfig, event: EventEnvelope): Promise<void> {
    // Asynchronous like EventBridge: the PutEvents caller never waits for the target, and delivery takes a while.
    const delayMs = this.opts.deliveryDelayMs?.() ?? 0;
    await new Promise((r) => (delayMs > 0 ? setTimeout(r, delayMs) : setImmediate(r)));
    const payloadBytes = lambdaPayloadSize(event);
    if (payloadBytes > QUOTAS.lambdaAsyncPayloadBytes) {
      // Lambda refuses the invoke (413 RequestEntityTooLargeException) and EventBridge does not retry an error of
      // this kind: the event goes to the rule's dead-letter queue at once
      // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). The function never runs.
      const error = {
        name: 'RequestEntityTooLargeException',
        message: `${rule.functionKey}: the event is ${payloadBytes} bytes; an asynchronous invocation takes at most ${QUOTAS.lambdaAsyncPayloadBytes}`,
      };
      this.deliveries.push({ eventId: event.id, rule: rule.name, functionKey: rule.functionKey, attempts: 0, ok: false, at: Date.now(), error });
      this.deadLetters.push({ event, rule: rule.name, functionKey: rule.functionKey, attempts: 0, error });
      return;
    }
    const retries = this.opts.retryAttempts ?? this.opts.lambda.maxRetries(rule.functionKey) ?? 2;
    let attempts = 0;
    let lastError: { name: string; message: string } = { name: 'Error', message: 'not invoked' };
    while (attempts <= retries) {
      if (attempts > 0) {
        const wait = this.opts.retryDelayMs?.(attempts) ?? 0;
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      if (this.closed) return;
      attempts++;
      try {
        const result = await this.opts.lambda.invoke(rule.functionKey, structuredClone(event));
        this.deliveries.push({ eventId: event.id, rule: rule.name, functionKey: rule.functionKey, attempts, ok: true, at: Date.now(), result });
        return;
      } catch (err) {
        const e = err as Error;
        lastError = { name: e?.name ?? 'Error', message: e?.message ?? String(err) };
      }
    }
    this.deliveries.push({ eventId: event.id, rule: rule.name, functionKey: rule.functionKey, attempts, ok: false, at: Date.now(), error: lastError });
    this.deadLetters.push({ event, rule: rule.name, functionKey: rule.functionKey, attempts, error: lastError });
  }
}

function envelope(e: SandboxEvent, defaultRegion: string): EventEnvelope {
  const time = e.time === undefined ? new Date() : new Date(e.time);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': e.detailType,
    source: e.source,
    account: ACCOUNT_ID,
    // EventBridge timestamps have second precision.
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: e.region ?? defaultRegion,
    resources: e.resources ?? [],
    detail: e.detail,
  };
}

// The one factory of AWS SDK v3 clients. Every client gets a connection timeout, a request timeout and an
// explicit retry budget from here, so a region whose APIs hang costs a bounded time and never a whole
// Lambda timeout. Domain code never builds a client: handlers (and the CLI, the sandbox) pass them in.
//
// One set of clients per process and environment: a warm Lambda reuses its connections; the sandbox, which
// moves the endpoints (AWS_ENDPOINT_URL_<SERVICE>) between runs, gets new clients when they move.
// The KeyValueStore client lives in kvs-client.ts: only its users load the SigV4A signer.
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { MediaLiveClient } from '@aws-sdk/client-medialive';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** How long one AWS call may take, and how many attempts the SDK makes (its standard backoff between them). */
export interface CallBudget {
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
}

/**
 * The budgets, by caller. Worst case of one call = maxAttempts x (connection + request timeout) + the SDK's
 * backoff (< 1 s for 2-3 attempts); test/deploy/timeouts.test.ts checks that each fits its Lambda timeout.
 * - step: the state machine's Retry is the outer layer; the SDK absorbs a throttle or a reset connection
 *   inside the step so one unlucky call does not cost a whole Retry interval.
 * - triage: decides within seconds of the signal; StartExecution and the ledger live in the control region.
 * - confirm: DescribeChannel of the region that may be failing: one short attempt, never retried. When it
 *   does not answer, the fresh manifest check decides alone.
 * - probe: PutEvents from the probe loop, which must keep its tick.
 * - tool: the CLI (game days, replay) and the local tools, where an operator waits.
 */
export const BUDGETS = {
  step: { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000, maxAttempts: 3 },
  triage: { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000, maxAttempts: 2 },
  confirm: { connectionTimeoutMs: 500, requestTimeoutMs: 1_500, maxAttempts: 1 },
  probe: { connectionTimeoutMs: 1_000, requestTimeoutMs: 2_000, maxAttempts: 2 },
  tool: { connectionTimeoutMs: 2_000, requestTimeoutMs: 10_000, maxAttempts: 3 },
} as const satisfies Record<string, CallBudget>;
export type BudgetName = keyof typeof BUDGETS;

/** The worst case of one call under a budget, ms (the SDK's backoff between attempts counted at its cap of 1 s). */
export const worstCaseMs = (b: CallBudget): number => b.maxAttempts * (b.connectionTimeoutMs + b.requestTimeoutMs) + (b.maxAttempts - 1) * 1_000;

/** The client options a budget stands for. `throwOnRequestTimeout`: without it the SDK only logs a warning. */
export function clientOptions(budget: CallBudget): {
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true };
} {
  return {
    maxAttempts: budget.maxAttempts,
    requestHandler: { connectionTimeout: budget.connectionTimeoutMs, requestTimeout: budget.requestTimeoutMs, throwOnRequestTimeout: true },
  };
}

/** The AWS clients of one caller (one budget) in one environment. */
export class AwsClients {
  private readonly cache = new Map<string, unknown>();
  private readonly controlRegion: string;

  constructor(
    readonly budget: CallBudget,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.controlRegion = env.AWS_REGION ?? 'us-west-2';
  }

  private get<T>(key: string, make: () => T): T {
    let client = this.cache.get(key) as T | undefined;
    if (!client) {
      client = make();
      this.cache.set(key, client);
    }
    return client;
  }

  /** MediaLive in the channel's own region (the primary and the standby live in different regions). */
  readonly mediaLive = (region: string): MediaLiveClient =>
    this.get(`medialive:${region}`, () => new MediaLiveClient({ region, ...clientOptions(this.budget) }));

  /** CloudFront is a global service signed in us-east-1. */
  cloudFront(): CloudFrontClient {
    return this.get('cloudfront', () => new CloudFrontClient({ region: 'us-east-1', ...clientOptions(this.budget) }));
  }

  sns(): SNSClient {
    return this.get('sns', () => new SNSClient({ region: this.controlRegion, ...clientOptions(this.budget) }));
  }

  sfn(): SFNClient {
    return this.get('sfn', () => new SFNClient({ region: this.controlRegion, ...clientOptions(this.budget) }));
  }

  eventBridge(): EventBridgeClient {
    return this.get('events', () => new EventBridgeClient({ region: this.controlRegion, ...clientOptions(this.budget) }));
  }

  dynamoDoc(): DynamoDBDocumentClient {
    return this.get('dynamodb', () =>
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: this.controlRegion, ...clientOptions(this.budget) }), {
        marshallOptions: { removeUndefinedValues: true },
      }),
    );
  }
}

/** What decides which endpoints and credentials the clients use: when it changes, the clients are rebuilt. */
export const environmentKey = (env: NodeJS.ProcessEnv): string =>
  Object.keys(env)
    .filter((k) => k.startsWith('AWS_ENDPOINT_URL') || k === 'AWS_REGION' || k === 'AWS_ACCESS_KEY_ID')
    .sort()
    .map((k) => `${k}=${env[k] ?? ''}`)
    .join('\n');

/** Memoizes one value per (name, environment): the clients of a process, rebuilt when its endpoints move. */
export function perEnvironment<T>(make: (name: BudgetName, env: NodeJS.ProcessEnv) => T): (name: BudgetName, env?: NodeJS.ProcessEnv) => T {
  const made = new Map<BudgetName, { key: string; value: T }>();
  return (name, env = process.env) => {
    const key = environmentKey(env);
    const current = made.get(name);
    if (current?.key === key) return current.value;
    const value = make(name, env);
    made.set(name, { key, value });
    return value;
  };
}

/** The clients of this process for one budget. */
export const awsClients = perEnvironment((name, env) => new AwsClients(BUDGETS[name], env));

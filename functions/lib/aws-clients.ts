// The one factory of AWS SDK v3 clients. Every client gets a connection timeout, a request timeout and an
// explicit retry budget from here, so a region whose APIs hang costs a bounded time and never a whole
// Lambda timeout. Domain code never builds a client: handlers (and the CLI, the sandbox) pass them in.
// Callers name the client class they use (awsClient(SNSClient, 'step')), so a bundle carries only its own.
//
// One set of clients per process and environment: a warm Lambda reuses its connections; the sandbox, which
// moves the endpoints (AWS_ENDPOINT_URL_<SERVICE>) between runs, gets new clients when they move.
// The KeyValueStore client lives in kvs-client.ts: only its users load the SigV4A signer.

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

/** What decides which endpoints and credentials the clients use: when it changes, the clients are rebuilt. */
export const environmentKey = (env: NodeJS.ProcessEnv): string =>
  Object.keys(env)
    .filter((k) => k.startsWith('AWS_ENDPOINT_URL') || k === 'AWS_REGION' || k === 'AWS_ACCESS_KEY_ID')
    .sort()
    .map((k) => `${k}=${env[k] ?? ''}`)
    .join('\n');

/** Any SDK v3 client class: each caller imports only the clients it uses, so a bundle carries no other. */
export type ClientClass<C> = new (config: { region: string } & ReturnType<typeof clientOptions>) => C;

/** CloudFront (and its KeyValueStore) is a global service signed in us-east-1. */
export const CLOUDFRONT_REGION = 'us-east-1';

const byClass = new WeakMap<object, Map<string, { key: string; client: unknown }>>();

/**
 * The client of class `Client` for one budget and region (default: the control region, AWS_REGION) in this
 * process's environment: made once, reused by every invocation, rebuilt when the endpoints move.
 */
export function awsClient<C>(Client: ClientClass<C>, budget: BudgetName, region?: string, env: NodeJS.ProcessEnv = process.env): C {
  const where = region ?? env.AWS_REGION ?? 'us-west-2';
  let made = byClass.get(Client);
  if (!made) byClass.set(Client, (made = new Map<string, { key: string; client: unknown }>()));
  const key = environmentKey(env);
  const current = made.get(`${budget}|${where}`);
  if (current?.key === key) return current.client as C;
  const client = new Client({ region: where, ...clientOptions(BUDGETS[budget]) });
  made.set(`${budget}|${where}`, { key, client });
  return client;
}

/** The clients of one budget, as a handler receives them: `aws(MediaLiveClient, region)`. */
export type Clients = <C>(Client: ClientClass<C>, region?: string) => C;
export const clientsFor =
  (budget: BudgetName): Clients =>
  (Client, region) =>
    awsClient(Client, budget, region);

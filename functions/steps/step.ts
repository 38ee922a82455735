// What every step Lambda shares: validate the input (zod), look the channel up in the registry (the
// execution input stays small: only channelId travels), time the step (StepDuration by Channel + Step),
// and name failures so the state machine's Retry/Catch can match them.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from '../domain/zod.js';
import { FlatlineError, InvalidInputError } from '../domain/errors.js';
import { getChannel, loadRegistry, type Channel } from '../domain/registry/index.js';
import { isTransient, RetryableError } from '../domain/reconcilers/errors.js';
import { clientsFor, type Clients } from '../lib/aws-clients.js';
import { lambda, logger, metrics } from '../lib/lambda.js';

export const ModeSchema = z._default(z.enum(['live', 'plan']), 'live');
export const ActionSchema = z.enum(['failover', 'failback']);
export const SideSchema = z.enum(['primary', 'standby']);
/** The error object a Catch puts at its ResultPath. */
export const StatesErrorSchema = z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) });

/** Every step input names the channel; the rest is per step. */
export const StepInputBase = z.object({ channelId: z.string().check(z.minLength(1)), mode: ModeSchema });

/** Emits one metric with the dimensions Channel (+ Step), flushed on its own so dimensions never mix. */
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export function channelMetric(name: string, channelId: string, value: number, unit: Unit = MetricUnit.Count, step?: string): void {
  const single = metrics.singleMetric();
  single.addDimensions({ Channel: channelId, ...(step ? { Step: step } : {}) });
  single.addMetric(name, unit, value);
}

/**
 * A failure whose root cause is transient (throttling, 5xx, network), even when a domain module wrapped it
 * (e.g. LedgerError around a DynamoDB throttle), is retried by the state machine.
 */
export function nameForStates(err: unknown): unknown {
  if (err instanceof FlatlineError) {
    if (err.name !== 'Flatline.Retryable' && err.cause !== undefined && isTransient(err.cause)) {
      return new RetryableError(err.message, err.context, err);
    }
    return err;
  }
  return isTransient(err) ? new RetryableError(`transient failure: ${(err as Error).message}`, {}, err) : err;
}

/** The step budget: the state machine's Retry is the outer layer. */
const stepClients = clientsFor('step');

export function stepHandler<S extends z.ZodMiniType<{ channelId: string }>, O>(
  step: string,
  schema: S,
  /** `aws`: this process's clients under the step budget (the state machine's Retry is the outer layer). */
  fn: (input: z.infer<S>, channel: Channel, aws: Clients) => Promise<O>,
) {
  return lambda(async (event: unknown): Promise<O> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) throw new InvalidInputError(`${step}: invalid input: ${z.prettifyError(parsed.error)}`, { step });
    const input = parsed.data;
    const channel = getChannel(loadRegistry(), input.channelId);
    logger.appendKeys({ channelId: channel.id, step });
    const started = performance.now();
    try {
      return await fn(input, channel, stepClients);
    } catch (err) {
      const named = nameForStates(err);
      logger.error(`${step} failed`, { error: named as Error });
      throw named;
    } finally {
      // On the invocation's own metrics (flushed by logMetrics), so no invocation ends with "no metrics".
      metrics.addDimensions({ Channel: channel.id, Step: step });
      metrics.addMetric('StepDuration', MetricUnit.Milliseconds, performance.now() - started);
    }
  });
}

/** FailoverStarted, FailbackSucceeded, ... */
export const actionMetric = (action: 'failover' | 'failback', what: 'Started' | 'Succeeded' | 'Degraded' | 'Failed' | 'RolledBack'): string =>
  `${action === 'failover' ? 'Failover' : 'Failback'}${what}`;

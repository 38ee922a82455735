// The one way a Lambda handler is built: middy + Powertools logger and metrics around a plain async
// function. Handlers stay thin adapters: parse input, call the domain, return its report.
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'flatline' });
// Metrics warns on every invocation that publishes no metric; our handlers meter only on some paths, so that
// is normal: its own messages go through our logger, the warnings at debug level.
const metricsLogger = {
  debug: (message: string) => logger.debug(message),
  info: (message: string) => logger.debug(message),
  warn: (message: string) => logger.debug(message),
  error: (message: string) => logger.error(message),
};

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Flatline',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'flatline',
  logger: metricsLogger,
});

export type Handler<I, O> = (input: I, context: Context) => Promise<O>;

export function lambda<I, O>(fn: Handler<I, O>): middy.MiddyfiedHandler<I, O, Error, Context> {
  return middy<I, O, Error, Context>(fn)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true, throwOnEmptyMetrics: false }));
}

// How a step's failures are named for Step Functions. The ASL retries only 'Flatline.Retryable' (with
// backoff and jitter); every other name is final for the attempt and sends the execution to its Catch.
import { FlatlineError } from '../errors.js';

export const RETRYABLE = 'Flatline.Retryable';
export const STANDBY_UNAVAILABLE = 'Flatline.StandbyUnavailable';

/** A transient failure (throttling, 5xx, network, an ETag race that kept losing): retry the step. */
export class RetryableError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(RETRYABLE, message, context, { cause });
  }
}

/** An AWS call failed in a way retrying will not fix (access denied, validation, not found...). */
export class AwsCallError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('Flatline.AwsError', message, context, { cause });
  }
}

/** The standby MediaLive channel cannot be made to run (CREATE_FAILED, DELETED, DELETING...): go to the slate. */
export class StandbyUnavailableError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(STANDBY_UNAVAILABLE, message, context);
  }
}

/**
 * The incident's lock is held by another incident: this execution must not record its outcome (that would
 * overwrite what the other incident did). The state machines page and end the execution Failed.
 */
export class LockLostError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('Flatline.LockLost', message, context);
  }
}

/** The live configuration does not match the registry (e.g. the origin group is missing or has other members). */
export class RoutingConfigError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('Flatline.RoutingConfigError', message, context);
  }
}

/** A required setting (environment variable) is missing. */
export class ConfigurationError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('Flatline.ConfigurationError', message, context);
  }
}

/** The shape every AWS SDK v3 service exception has (name, $fault, $metadata.httpStatusCode). */
interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

const THROTTLING = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);

// Errors raised below the HTTP layer: the request may never have reached the service.
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'TimeoutError', 'RequestTimeout', 'AbortError']);

export const sdkErrorName = (err: unknown): string => (err as SdkErrorLike | null)?.name ?? 'Error';
export const sdkStatus = (err: unknown): number | undefined => (err as SdkErrorLike | null)?.$metadata?.httpStatusCode;

export function isThrottling(err: unknown): boolean {
  return THROTTLING.has(sdkErrorName(err)) || sdkStatus(err) === 429;
}

export function isTransient(err: unknown): boolean {
  const e = err as SdkErrorLike | null;
  if (isThrottling(err)) return true;
  const status = sdkStatus(err);
  if (status !== undefined) return status >= 500;
  if (e?.$fault === 'server') return true;
  return NETWORK.has(e?.name ?? '') || NETWORK.has(e?.code ?? '');
}

/** Turns any error of an AWS call into a named FlatlineError: Flatline.Retryable or Flatline.AwsError. */
export function classifyAwsError(err: unknown, context: Record<string, unknown>): FlatlineError {
  if (err instanceof FlatlineError) return err;
  const name = sdkErrorName(err);
  const status = sdkStatus(err);
  const what = `${String(context.service)}:${String(context.operation)}`;
  const message = `${what} failed: ${name}${status ? ` (HTTP ${status})` : ''}: ${(err as Error | null)?.message ?? String(err)}`;
  const ctx = { ...context, awsError: name, httpStatus: status };
  return isTransient(err) ? new RetryableError(message, ctx, err) : new AwsCallError(message, ctx, err);
}

/** Runs one AWS call and classifies its failure. `expect` lets the caller handle named errors itself. */
export async function awsCall<T>(
  context: { service: string; operation: string } & Record<string, unknown>,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyAwsError(err, context);
  }
}

/** The SDK error name carried by a classified error (or by a raw SDK error). */
export function awsErrorName(err: unknown): string {
  if (err instanceof FlatlineError && typeof err.context.awsError === 'string') return err.context.awsError;
  return sdkErrorName(err);
}

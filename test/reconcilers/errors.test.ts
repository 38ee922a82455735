// How step failures are named for the state machine's Retry/Catch.
import { describe, expect, it } from 'vitest';
import { ConflictException } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { InternalServerErrorException, TooManyRequestsException } from '@aws-sdk/client-medialive';
import { FlatlineError } from '../../functions/domain/errors.js';
import { classifyAwsError, RETRYABLE } from '../../functions/domain/reconcilers/index.js';
import { nameForStates } from '../../functions/steps/step.js';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const ctx = { service: 'medialive', operation: 'StartChannel', channelId: '1' };

describe('classifyAwsError', () => {
  it('names throttling and 5xx Flatline.Retryable, with the SDK error in the context', () => {
    const throttled = classifyAwsError(new TooManyRequestsException({ message: 'slow down', ...meta(429) }), ctx);
    expect(throttled.name).toBe(RETRYABLE);
    expect(throttled.context).toMatchObject({ awsError: 'TooManyRequestsException', httpStatus: 429, channelId: '1' });
    expect(classifyAwsError(Object.assign(new Error('x'), { name: 'ThrottlingException', ...meta(429) }), ctx).name).toBe(RETRYABLE);
    expect(classifyAwsError(new InternalServerErrorException({ message: 'boom', ...meta(500) }), ctx).name).toBe(RETRYABLE);
    expect(classifyAwsError(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', ...meta(400) }), ctx).name).toBe(RETRYABLE);
    expect(classifyAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), ctx).name).toBe(RETRYABLE);
  });

  it('names everything else Flatline.AwsError (not retried) and says which call failed', () => {
    const err = classifyAwsError(new ConflictException({ message: 'stale', ...meta(409) }), ctx);
    expect(err.name).toBe('Flatline.AwsError');
    expect(err.message).toContain('medialive:StartChannel failed: ConflictException (HTTP 409)');
    const denied = classifyAwsError(Object.assign(new Error('no'), { name: 'AccessDenied', ...meta(403) }), ctx);
    expect(denied.name).toBe('Flatline.AwsError');
  });

  it('keeps an error that is already named', () => {
    const named = new FlatlineError('Flatline.StandbyUnavailable', 'gone');
    expect(classifyAwsError(named, ctx)).toBe(named);
  });
});

describe('nameForStates', () => {
  it('retries a domain error whose root cause is transient (e.g. a ledger write throttled by DynamoDB)', () => {
    const throttle = Object.assign(new Error('throughput'), { name: 'ProvisionedThroughputExceededException', ...meta(400) });
    const wrapped = new FlatlineError('Flatline.LedgerError', 'ledger complete failed', {}, { cause: throttle });
    expect((nameForStates(wrapped) as Error).name).toBe(RETRYABLE);
    const conflict = new FlatlineError('Flatline.LedgerConflict', 'not the lock holder');
    expect(nameForStates(conflict)).toBe(conflict);
    expect((nameForStates(Object.assign(new Error('x'), meta(503))) as Error).name).toBe(RETRYABLE);
  });
});

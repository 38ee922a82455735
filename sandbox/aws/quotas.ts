// AWS's quotas where the sandbox plays the service, each with its source. A payload over a quota fails
// the way AWS fails it (the service's own error code).
import { AwsServiceError } from './wire.js';

export const QUOTAS = {
  /** https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (4,096 after a quota raise) */
  eventPatternChars: 2048,
  /** https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html */
  putEventsEntryBytes: 256 * 1024,
  /** https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (input or output, UTF-8) */
  sfnPayloadBytes: 256 * 1024,
  /** https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-keyvaluestores */
  kvsKeyBytes: 512,
  kvsValueBytes: 1024,
  kvsStoreBytes: 5 * 1024 * 1024,
  /** https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions */
  cloudFrontFunctionBytes: 10 * 1024,
  /** https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html (enforced by dynalite) */
  dynamoItemBytes: 400 * 1024,
  /**
   * An asynchronous Lambda invocation's payload (an EventBridge target's event): "For asynchronous invocations,
   * the maximum payload size is 1 MB" (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html; 256 KB
   * until October 2025; Lambda's MB is 1,024 KB, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
   */
  lambdaAsyncPayloadBytes: 1024 * 1024,
} as const;

export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * A PutEvents entry's size as EventBridge counts it: Time 14 bytes when set, Source, DetailType, Detail
 * and each Resource as UTF-8 (eb-putevent-size.html).
 */
export function putEventsEntrySize(e: { Time?: unknown; Source?: string; DetailType?: string; Detail?: string; Resources?: string[] }): number {
  let size = e.Time === undefined ? 0 : 14;
  for (const s of [e.Source, e.DetailType, e.Detail, ...(e.Resources ?? [])]) if (s) size += utf8Bytes(s);
  return size;
}

/** The payload of a Lambda invocation: the event as the target receives it, JSON in UTF-8. */
export const lambdaPayloadSize = (event: unknown): number => utf8Bytes(JSON.stringify(event));

/** KVS key and value limits on one write. */
export function checkKvsItem(key: string, value: string | undefined): void {
  if (utf8Bytes(key) > QUOTAS.kvsKeyBytes) throw new AwsServiceError(400, 'ValidationException', `Key is ${utf8Bytes(key)} bytes; the limit is ${QUOTAS.kvsKeyBytes}`);
  if (value !== undefined && utf8Bytes(value) > QUOTAS.kvsValueBytes) {
    throw new AwsServiceError(400, 'ValidationException', `Value of ${key} is ${utf8Bytes(value)} bytes; the limit is ${QUOTAS.kvsValueBytes}`);
  }
}

// CloudFront KeyValueStore reads and conditional writes. Every write needs the store-wide ETag
// (If-Match); a concurrent writer makes ours stale, so a conflict re-reads the ETag and tries again.
import {
  type CloudFrontKeyValueStoreClient,
  DeleteKeyCommand,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  ListKeysCommand,
  PutKeyCommand,
  UpdateKeysCommand,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { awsCall, awsErrorName, RetryableError } from './errors.js';

const SERVICE = 'cloudfront-keyvaluestore';
/** How many ETag races one step absorbs before it hands the problem to the state machine's retry. */
export const KVS_CONFLICT_ATTEMPTS = 4;

// AWS does not document which error a stale KVS ETag gives: accept both the 409 and the 412 shapes.
const isConflict = (err: unknown): boolean => ['ConflictException', 'PreconditionFailed', 'PreconditionFailedException'].includes(awsErrorName(err));
const isNotFound = (err: unknown): boolean => awsErrorName(err) === 'ResourceNotFoundException';

/** The value of a key, or null when the key is absent. */
export async function readKey(kvs: CloudFrontKeyValueStoreClient, kvsArn: string, key: string): Promise<string | null> {
  try {
    const out = await awsCall({ service: SERVICE, operation: 'GetKey', kvsArn, key }, () =>
      kvs.send(new GetKeyCommand({ KvsARN: kvsArn, Key: key })),
    );
    return out.Value ?? null;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** Sets `key` to `value`, or deletes it when `value` is null (deleting an absent key is done already). */
export async function writeKey(
  kvs: CloudFrontKeyValueStoreClient,
  kvsArn: string,
  key: string,
  value: string | null,
  attempts = KVS_CONFLICT_ATTEMPTS,
): Promise<void> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const { ETag } = await awsCall({ service: SERVICE, operation: 'DescribeKeyValueStore', kvsArn }, () =>
      kvs.send(new DescribeKeyValueStoreCommand({ KvsARN: kvsArn })),
    );
    try {
      if (value === null) {
        await awsCall({ service: SERVICE, operation: 'DeleteKey', kvsArn, key }, () =>
          kvs.send(new DeleteKeyCommand({ KvsARN: kvsArn, Key: key, IfMatch: ETag })),
        );
      } else {
        await awsCall({ service: SERVICE, operation: 'PutKey', kvsArn, key }, () =>
          kvs.send(new PutKeyCommand({ KvsARN: kvsArn, Key: key, Value: value, IfMatch: ETag })),
        );
      }
      return;
    } catch (err) {
      if (value === null && isNotFound(err)) return;
      if (!isConflict(err)) throw err;
    }
  }
  throw new RetryableError(`KeyValueStore ETag kept changing while writing ${key} (${attempts} attempts)`, { kvsArn, key, attempts });
}

/** Every key of the store with its value (ListKeys pages), for whole-store reconcilers such as the edge sync. */
export async function listKeys(kvs: CloudFrontKeyValueStoreClient, kvsArn: string): Promise<Map<string, string>> {
  const items = new Map<string, string>();
  let NextToken: string | undefined;
  do {
    const out = await awsCall({ service: SERVICE, operation: 'ListKeys', kvsArn }, () =>
      kvs.send(new ListKeysCommand({ KvsARN: kvsArn, NextToken, MaxResults: 50 })),
    );
    for (const item of out.Items ?? []) if (item.Key !== undefined && item.Value !== undefined) items.set(item.Key, item.Value);
    NextToken = out.NextToken;
  } while (NextToken);
  return items;
}

/** UpdateKeys takes at most 50 puts and deletes in one all-or-nothing request (KVS quotas). */
export const KVS_KEYS_PER_UPDATE = 50;

/** Sets (string) or deletes (null) many keys, 50 per UpdateKeys request; each request has its own ETag race. */
export async function writeKeys(
  kvs: CloudFrontKeyValueStoreClient,
  kvsArn: string,
  writes: ReadonlyMap<string, string | null>,
  attempts = KVS_CONFLICT_ATTEMPTS,
): Promise<void> {
  const entries = [...writes];
  for (let start = 0; start < entries.length; start += KVS_KEYS_PER_UPDATE) {
    const batch = entries.slice(start, start + KVS_KEYS_PER_UPDATE);
    const Puts = batch.flatMap(([Key, Value]) => (Value === null ? [] : [{ Key, Value }]));
    const Deletes = batch.flatMap(([Key, Value]) => (Value === null ? [{ Key }] : []));
    let written = false;
    for (let attempt = 1; attempt <= attempts && !written; attempt++) {
      const { ETag } = await awsCall({ service: SERVICE, operation: 'DescribeKeyValueStore', kvsArn }, () =>
        kvs.send(new DescribeKeyValueStoreCommand({ KvsARN: kvsArn })),
      );
      try {
        await awsCall({ service: SERVICE, operation: 'UpdateKeys', kvsArn, keys: batch.length }, () =>
          kvs.send(new UpdateKeysCommand({ KvsARN: kvsArn, IfMatch: ETag, ...(Puts.length ? { Puts } : {}), ...(Deletes.length ? { Deletes } : {}) })),
        );
        written = true;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    if (!written) throw new RetryableError(`KeyValueStore ETag kept changing while writing ${batch.length} keys (${attempts} attempts)`, { kvsArn, attempts });
  }
}

// CloudFront KeyValueStore over REST-JSON (signed with SigV4A). Each store has one store-wide ETag that
// changes on every write; every write needs If-Match.
// Choice (the AWS docs do not say what a stale If-Match returns): a stale ETag is answered with
// 409 ConflictException, the model's error for "the resource was changed", so the caller re-reads and retries.
// A missing If-Match is a 400 ValidationException (the field is required in the model).
import { randomBytes } from 'node:crypto';
import {
  AwsServiceError,
  header,
  json,
  parseJsonBody,
  restJsonError,
  type ResolvedOperation,
  type SandboxService,
  type WireRequest,
  type WireResponse,
} from './wire.js';
import { checkKvsItem, QUOTAS } from './quotas.js';

export interface KvsChange {
  arn: string;
  key: string;
  /** undefined when the key was deleted. */
  value: string | undefined;
  etag: string;
}

interface Store {
  arn: string;
  items: Map<string, string>;
  /** Keys and values in UTF-8 bytes (the 5 MB store quota). */
  bytes: number;
  etag: string;
  created: Date;
  lastModified: Date;
}

export class KeyValueStoreService implements SandboxService {
  readonly name = 'cloudfront-keyvaluestore' as const;
  private readonly stores = new Map<string, Store>();
  private readonly listeners = new Set<(c: KvsChange) => void>();

  addStore(arn: string, initial: Record<string, string> = {}): void {
    if (this.stores.has(arn)) return;
    const now = new Date();
    const items = new Map(Object.entries(initial));
    let bytes = 0;
    for (const [k, v] of items) bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    this.stores.set(arn, { arn, items, bytes, etag: newEtag(), created: now, lastModified: now });
  }

  /** The value of a key, or undefined when absent (what the edge function's kvs.get sees). */
  get(arn: string, key: string): string | undefined {
    return this.store(arn).items.get(key);
  }

  snapshot(arn: string): Record<string, string> {
    return Object.fromEntries(this.store(arn).items);
  }

  etag(arn: string): string {
    return this.store(arn).etag;
  }

  /** Writes outside the API (scenario setup); changes the ETag like any write. */
  set(arn: string, key: string, value: string | undefined): void {
    const s = this.store(arn);
    this.apply(s, value === undefined ? [] : [{ Key: key, Value: value }], value === undefined ? [{ Key: key }] : []);
  }

  onChange(listener: (c: KvsChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.listeners.clear();
  }

  throttleError(): AwsServiceError {
    return new AwsServiceError(429, 'ThrottlingException', 'Rate exceeded');
  }

  renderError(err: AwsServiceError): WireResponse {
    return restJsonError(err, 'Message');
  }

  resolve(req: WireRequest): ResolvedOperation {
    // Split before decoding: the ARN travels as one percent-encoded segment (":" and "/" encoded).
    const raw = req.path.split('/').filter(Boolean);
    if (raw[0] !== 'key-value-stores' || !raw[1]) return unknown(req);
    const arn = decodeURIComponent(raw[1]);
    const key = raw[3] !== undefined ? decodeURIComponent(raw[3]) : undefined;
    const store = (): Store => this.find(arn);
    if (raw.length === 2 && req.method === 'GET') {
      return { operation: 'DescribeKeyValueStore', mutating: false, run: () => this.describe(store()) };
    }
    if (raw[2] !== 'keys') return unknown(req);
    if (key === undefined) {
      if (req.method === 'GET') return { operation: 'ListKeys', mutating: false, run: () => this.list(store(), req) };
      if (req.method === 'POST') return { operation: 'UpdateKeys', mutating: true, run: () => this.updateKeys(store(), req) };
      return unknown(req);
    }
    if (req.method === 'GET') return { operation: 'GetKey', mutating: false, run: () => this.getKey(store(), key) };
    if (req.method === 'PUT') {
      return {
        operation: 'PutKey',
        mutating: true,
        run: () => {
          const s = store();
          const body = parseJsonBody<{ Value?: unknown }>(req, 'ValidationException');
          if (typeof body.Value !== 'string') throw new AwsServiceError(400, 'ValidationException', 'Value is required');
          this.checkIfMatch(s, req);
          return this.apply(s, [{ Key: key, Value: body.Value }], []);
        },
      };
    }
    if (req.method === 'DELETE') {
      return {
        operation: 'DeleteKey',
        mutating: true,
        run: () => {
          const s = store();
          this.checkIfMatch(s, req);
          if (!s.items.has(key)) throw new AwsServiceError(404, 'ResourceNotFoundException', `Key ${key} not found`);
          return this.apply(s, [], [{ Key: key }]);
        },
      };
    }
    return unknown(req);
  }

  private store(arn: string): Store {
    const s = this.stores.get(arn);
    if (!s) throw new Error(`sandbox: no KeyValueStore ${arn}`);
    return s;
  }

  private find(arn: string): Store {
    const s = this.stores.get(arn);
    if (!s) throw new AwsServiceError(404, 'ResourceNotFoundException', `Key value store ${arn} not found`);
    return s;
  }

  private checkIfMatch(s: Store, req: WireRequest): void {
    const ifMatch = header(req, 'if-match');
    if (!ifMatch) throw new AwsServiceError(400, 'ValidationException', 'If-Match is required');
    if (ifMatch !== s.etag) throw new AwsServiceError(409, 'ConflictException', `ETag ${ifMatch} is stale: the key value store was modified`);
  }

  private describe(s: Store): WireResponse {
    return json(
      200,
      {
        ItemCount: s.items.size,
        TotalSizeInBytes: size(s),
        KvsARN: s.arn,
        Created: s.created.getTime() / 1000,
        LastModified: s.lastModified.getTime() / 1000,
        Status: 'READY',
      },
      { etag: s.etag },
    );
  }

  private getKey(s: Store, key: string): WireResponse {
    const value = s.items.get(key);
    if (value === undefined) throw new AwsServiceError(404, 'ResourceNotFoundException', `Key ${key} not found`);
    return json(200, { Key: key, Value: value, ItemCount: s.items.size, TotalSizeInBytes: size(s) });
  }

  private list(s: Store, req: WireRequest): WireResponse {
    const all = [...s.items].sort(([a], [b]) => a.localeCompare(b));
    const start = Number(req.query.get('NextToken') ?? 0) || 0;
    const max = Number(req.query.get('MaxResults') ?? 50) || 50;
    const page = all.slice(start, start + max).map(([Key, Value]) => ({ Key, Value }));
    const next = start + max < all.length ? String(start + max) : undefined;
    return json(200, { Items: page, ...(next ? { NextToken: next } : {}) });
  }

  /** All-or-nothing: every delete must name an existing key, or nothing is written. */
  private updateKeys(s: Store, req: WireRequest): WireResponse {
    const body = parseJsonBody<{ Puts?: Array<{ Key: string; Value: string }>; Deletes?: Array<{ Key: string }> }>(req, 'ValidationException');
    this.checkIfMatch(s, req);
    const puts = body.Puts ?? [];
    const deletes = body.Deletes ?? [];
    if (puts.length + deletes.length === 0) throw new AwsServiceError(400, 'ValidationException', 'Puts or Deletes is required');
    for (const p of puts) {
      if (typeof p.Key !== 'string' || typeof p.Value !== 'string') throw new AwsServiceError(400, 'ValidationException', 'each put needs Key and Value');
    }
    for (const d of deletes) {
      if (!s.items.has(d.Key)) throw new AwsServiceError(404, 'ResourceNotFoundException', `Key ${d.Key} not found`);
    }
    return this.apply(s, puts, deletes);
  }

  private apply(s: Store, puts: Array<{ Key: string; Value: string }>, deletes: Array<{ Key: string }>): WireResponse {
    // All or nothing: a put over a limit, or a store that would outgrow 5 MB, writes nothing.
    for (const p of puts) checkKvsItem(p.Key, p.Value);
    const bytes = (k: string): number => (s.items.has(k) ? Buffer.byteLength(k) + Buffer.byteLength(s.items.get(k)!) : 0);
    let after = size(s);
    for (const k of new Set([...puts.map((p) => p.Key), ...deletes.map((d) => d.Key)])) after -= bytes(k);
    for (const p of new Map(puts.map((p) => [p.Key, p.Value]))) after += Buffer.byteLength(p[0]) + Buffer.byteLength(p[1]);
    if (after > QUOTAS.kvsStoreBytes) throw new AwsServiceError(402, 'ServiceQuotaExceededException', `the key value store would exceed ${QUOTAS.kvsStoreBytes} bytes`);
    s.bytes = after;
    for (const p of puts) s.items.set(p.Key, p.Value);
    for (const d of deletes) s.items.delete(d.Key);
    s.etag = newEtag();
    s.lastModified = new Date();
    for (const p of puts) this.notify({ arn: s.arn, key: p.Key, value: p.Value, etag: s.etag });
    for (const d of deletes) this.notify({ arn: s.arn, key: d.Key, value: undefined, etag: s.etag });
    return json(200, { ItemCount: s.items.size, TotalSizeInBytes: size(s) }, { etag: s.etag });
  }

  private notify(c: KvsChange): void {
    for (const l of this.listeners) l(c);
  }
}

const newEtag = (): string => `KV${randomBytes(8).toString('hex').toUpperCase()}`;

function size(s: Store): number {
  return s.bytes;
}

function unknown(req: WireRequest): ResolvedOperation {
  return {
    operation: 'Unknown',
    mutating: false,
    run: () => {
      throw new AwsServiceError(400, 'ValidationException', `sandbox KeyValueStore does not implement ${req.method} ${req.path}`);
    },
  };
}

// Manifest fetching for the probe: undici keep-alive connections (undici's Agent keeps one Pool per origin),
// one global FIFO concurrency limit and a per-request deadline. A failed or timed-out request is a result,
// never a throw: to the probe an error is evidence (a stale tick), not an exception.
import type { Dispatcher } from 'undici';
import { Agent } from './undici.js';
import { ConcurrencyLimit, type RunOptions } from './limiter.js';

export interface FetcherOptions {
  /** Requests in flight across all origins. */
  concurrency?: number;
  /**
   * Deadline of each phase of a request: connecting, waiting for the response headers, and between body chunks
   * (undici's own timers: far cheaper per request than an AbortSignal, which matters at thousands per second).
   */
  timeoutMs?: number;
  /**
   * Keep-alive connections per origin. MediaPackage serves many channels from one host, so be generous.
   * Defaults to `concurrency`: then a request that holds a slot never waits inside undici for a connection,
   * so the phase deadlines above cover its whole life.
   */
  connectionsPerOrigin?: number;
  /**
   * Requests pipelined per connection. 1 (the default) means a slow response never holds up the requests
   * behind it on the same socket (no head-of-line blocking); raise it for origins known to answer in order fast.
   */
  pipelining?: number;
  /** Bodies larger than this are an error, cut as they stream in (a manifest, even a 40,000-segment one, is a few MB). */
  maxBodyBytes?: number;
  /** Bring your own dispatcher (tests, the sandbox); it is not closed by close(). */
  dispatcher?: Dispatcher;
  userAgent?: string;
}

export type FetchErrorCode = 'timeout' | 'http-status' | 'network' | 'too-large' | 'invalid-url';

export interface FetchResult {
  url: string;
  ok: boolean;
  /** HTTP status, 0 when no response arrived. */
  status: number;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body when a response arrived (also for HTTP errors), else null. */
  body: string | null;
  error?: { code: FetchErrorCode; message: string };
  /** performance.now() when the request got its concurrency slot, and how long it took from there. */
  startedAt: number;
  durationMs: number;
  /** Time spent waiting for a concurrency slot. */
  queuedMs: number;
}

export interface Fetcher {
  /** The lane it waits in for a slot (a fetch at a rendition's deadline, a confirming re-fetch: see limiter.ts). */
  get(url: string, options?: RunOptions): Promise<FetchResult>;
  readonly limit: ConcurrencyLimit;
  close(): Promise<void>;
}

export const DEFAULT_FETCHER_OPTIONS = {
  concurrency: 256,
  timeoutMs: 1500,
  pipelining: 1,
  maxBodyBytes: 16 * 1024 * 1024,
} as const;

export function createFetcher(options: FetcherOptions = {}): Fetcher {
  const o = { ...DEFAULT_FETCHER_OPTIONS, ...options };
  const owned = !options.dispatcher;
  const dispatcher =
    options.dispatcher ??
    new Agent({
      connections: o.connectionsPerOrigin ?? o.concurrency,
      pipelining: o.pipelining,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
      connect: { timeout: o.timeoutMs },
    });
  const limit = new ConcurrencyLimit(o.concurrency, Math.ceil(o.concurrency * LEARNING_SHARE));
  const headers = { 'user-agent': o.userAgent ?? 'flatline-probe', accept: '*/*' };

  /** Origin and path of each URL the probe fetches (the same few thousand, over and over): parsed once. */
  const targets = new Map<string, { origin: string; path: string } | null>();
  function target(url: string): { origin: string; path: string } | null {
    let t = targets.get(url);
    if (t === undefined) {
      try {
        const parsed = new URL(url);
        t = { origin: parsed.origin, path: parsed.pathname + parsed.search };
      } catch {
        t = null;
      }
      if (targets.size >= MAX_TARGETS) targets.clear();
      targets.set(url, t);
    }
    return t;
  }

  function attempt(url: string, queuedSince: number): Promise<FetchResult> {
    const startedAt = performance.now();
    const base = { url, headers: {}, body: null, startedAt, queuedMs: startedAt - queuedSince };
    const t = target(url);
    if (!t) return Promise.resolve({ ...base, ok: false, status: 0, durationMs: 0, error: { code: 'invalid-url', message: `not a URL: ${url}` } });
    return new Promise<FetchResult>((resolve) => {
      let status = 0;
      let responseHeaders: Record<string, string> = {};
      const chunks: Buffer[] = [];
      let bytes = 0;
      let cut = false;
      // undici's dispatch() with a handler of our own rather than its request(): request() wraps every response in
      // a Readable stream read through an async iterator, which at thousands of manifests per second is a good part
      // of the probe's CPU and garbage. The handler gets the status, the headers and the chunks as they come.
      dispatcher.dispatch(
        { origin: t.origin, path: t.path, method: 'GET', headers, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs },
        {
          // undici tells a handler of this API from an older one by this method.
          onRequestStart() {},
          onResponseStart(controller, statusCode, raw) {
            status = statusCode;
            responseHeaders = flattenHeaders(raw);
            // A Content-Length over the limit is refused at once; an absent or lying one is caught as bytes arrive.
            if (Number(responseHeaders['content-length'] ?? 0) > o.maxBodyBytes) {
              cut = true;
              controller.abort(new Error('body too large'));
            }
          },
          onResponseData(controller, chunk) {
            bytes += chunk.length;
            if (bytes > o.maxBodyBytes) {
              cut = true;
              controller.abort(new Error('body too large'));
              return;
            }
            chunks.push(chunk);
          },
          onResponseEnd() {
            const body = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, bytes).toString('utf8');
            const ok = status >= 200 && status < 300;
            resolve({
              ...base,
              ok,
              status,
              headers: responseHeaders,
              body,
              durationMs: performance.now() - startedAt,
              ...(ok ? {} : { error: { code: 'http-status' as const, message: `HTTP ${status}` } }),
            });
          },
          onResponseError(_controller, err) {
            if (cut) return resolve(tooLarge(base, status, responseHeaders, o.maxBodyBytes));
            const timedOut = TIMEOUT_CODES.has((err as { code?: string }).code ?? '');
            resolve({
              ...base,
              ok: false,
              status: 0,
              durationMs: performance.now() - startedAt,
              error: timedOut
                ? { code: 'timeout', message: `${describeNetworkError(err)} (${o.timeoutMs} ms)` }
                : { code: 'network', message: describeNetworkError(err) },
            });
          },
        },
      );
    });
  }

  return {
    limit,
    get(url, options) {
      const queuedSince = performance.now();
      return limit.run(() => attempt(url, queuedSince), options);
    },
    async close() {
      if (owned) await dispatcher.close();
    },
  };
}

/**
 * The share of the concurrency that learning fetches (normal ones with a deadline to wait for) may hold: the rest is
 * kept for deadline fetches and confirmations, with no more than this ahead of them in flight (see limiter.ts).
 * Half: learning paces itself at half the slots, which at a real origin's round trip (tens of ms) still serves far
 * more than a shard's learning asks.
 */
const LEARNING_SHARE = 0.5;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Parsed URLs kept (a shard fetches a few thousand); past this the cache starts over. */
const MAX_TARGETS = 50_000;

function tooLarge(
  base: Omit<FetchResult, 'ok' | 'status' | 'durationMs'>,
  status: number,
  headers: Record<string, string>,
  max: number,
): FetchResult {
  return {
    ...base,
    ok: false,
    status,
    headers,
    body: null,
    durationMs: performance.now() - base.startedAt,
    error: { code: 'too-large', message: `body larger than ${max} bytes` },
  };
}

/** undici's parsed headers (names lower-cased) with repeated ones joined by ", "; as they are when none repeats. */
function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  let repeated = false;
  for (const name in raw) if (typeof raw[name] !== 'string') repeated = true;
  if (!repeated) return raw as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: string }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${code && !err.message.includes(code) ? `${code} ` : ''}${err.message}${cause}`;
}

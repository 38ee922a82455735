// Manifest fetching for the probe: undici keep-alive connections (undici's Agent keeps one Pool per origin),
// one global FIFO concurrency limit and a per-request deadline. A failed or timed-out request is a result,
// never a throw: to the probe an error is evidence (a stale tick), not an exception.
import type { Dispatcher } from 'undici';
import { Agent, request } from './undici.js';
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
  const limit = new ConcurrencyLimit(o.concurrency);
  const headers = { 'user-agent': o.userAgent ?? 'flatline-probe', accept: '*/*' };

  async function attempt(url: string, queuedSince: number): Promise<FetchResult> {
    const startedAt = performance.now();
    const base = { url, headers: {}, body: null, startedAt, queuedMs: startedAt - queuedSince };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { ...base, ok: false, status: 0, durationMs: 0, error: { code: 'invalid-url', message: `not a URL: ${url}` } };
    }
    try {
      const res = await request(dispatcher, {
        origin: parsed.origin,
        path: parsed.pathname + parsed.search,
        method: 'GET',
        headers,
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
      });
      const responseHeaders = flattenHeaders(res.headers);
      const declared = Number(responseHeaders['content-length'] ?? 0);
      if (declared > o.maxBodyBytes) {
        res.body.destroy();
        return tooLarge(base, res.statusCode, responseHeaders, o.maxBodyBytes);
      }
      const body = await readCapped(res.body, o.maxBodyBytes);
      if (body === null) return tooLarge(base, res.statusCode, responseHeaders, o.maxBodyBytes);
      const durationMs = performance.now() - startedAt;
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return {
        ...base,
        ok,
        status: res.statusCode,
        headers: responseHeaders,
        body,
        durationMs,
        ...(ok ? {} : { error: { code: 'http-status' as const, message: `HTTP ${res.statusCode}` } }),
      };
    } catch (err) {
      const durationMs = performance.now() - startedAt;
      const timedOut = TIMEOUT_CODES.has((err as { code?: string }).code ?? '');
      return {
        ...base,
        ok: false,
        status: 0,
        durationMs,
        error: timedOut
          ? { code: 'timeout', message: `${describeNetworkError(err)} (${o.timeoutMs} ms)` }
          : { code: 'network', message: describeNetworkError(err) },
      };
    }
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
 * The body as UTF-8, or null as soon as more than `max` bytes have arrived: the rest is never read (the
 * connection is dropped). A Content-Length can be absent (chunked) or lie, so the bytes are counted as they come.
 */
async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > max) {
      body.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, bytes).toString('utf8');
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

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

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
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

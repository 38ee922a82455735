// HTTP caching contract of a live stream behind a CDN. A manifest must be cacheable briefly (request collapsing
// protects the origin) but never long (a cached manifest is a stale live edge); a segment never changes, so it
// must be cacheable at least for its own duration.
import { PROBLEM, problem } from './problems.js';
import type { Problem } from './types.js';

/** Longest manifest max-age that keeps the edge within ~1 reload of the origin. */
export const MANIFEST_MAX_AGE_S = 2;

export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const want = name.toLowerCase();
  // Header names are usually lower-cased already (undici, the sandbox): a lookup instead of a scan.
  const direct = headers[want];
  if (direct !== undefined) return Array.isArray(direct) ? direct.join(', ') : direct;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === want && v !== undefined) return Array.isArray(v) ? v.join(', ') : v;
  }
  return undefined;
}

interface Directives {
  noStore: boolean;
  noCache: boolean;
  private: boolean;
  /** s-maxage when present (what a shared cache uses), else max-age. */
  maxAge: number | undefined;
}

/**
 * How much longer a shared cache may serve this response without going back to the origin, ms: s-maxage (else
 * max-age) minus the Age header (RFC 9111 §4.2). Undefined without Cache-Control; 0 for no-store / no-cache.
 */
export function cacheTtlMs(headers: Record<string, string | string[] | undefined>): number | undefined {
  const cc = headerValue(headers, 'cache-control');
  if (cc === undefined) return undefined;
  const d = parseCacheControl(cc);
  if (d.noStore || d.noCache) return 0;
  if (d.maxAge === undefined) return undefined;
  const age = Number(headerValue(headers, 'age') ?? 0);
  return Math.max(0, d.maxAge - (Number.isFinite(age) ? age : 0)) * 1000;
}

/** Parsed Cache-Control values: an origin sends the same few on every response, and the probe reads thousands a second. */
const parsed = new Map<string, Readonly<Directives>>();

function parseCacheControl(value: string): Readonly<Directives> {
  let d = parsed.get(value);
  if (!d) {
    d = parseDirectives(value);
    if (parsed.size >= 256) parsed.clear();
    parsed.set(value, d);
  }
  return d;
}

function parseDirectives(value: string): Directives {
  const d: Directives = { noStore: false, noCache: false, private: false, maxAge: undefined };
  let sMaxAge: number | undefined;
  for (const part of value.split(',')) {
    const [rawName, rawVal] = part.split('=', 2);
    const name = (rawName ?? '').trim().toLowerCase();
    const val = rawVal?.trim().replace(/^"|"$/g, '');
    if (name === 'no-store') d.noStore = true;
    else if (name === 'no-cache') d.noCache = true;
    else if (name === 'private') d.private = true;
    else if (name === 'max-age' && val !== undefined && /^\d+$/.test(val)) d.maxAge = Number(val);
    else if (name === 's-maxage' && val !== undefined && /^\d+$/.test(val)) sMaxAge = Number(val);
  }
  if (sMaxAge !== undefined) d.maxAge = sMaxAge;
  return d;
}

export function checkCacheControl(
  kind: 'manifest' | 'segment',
  headers: Record<string, string | string[] | undefined>,
  segmentDurationS?: number,
): Problem[] {
  const value = headerValue(headers, 'cache-control');
  if (kind === 'manifest') {
    if (value === undefined) {
      return [problem(PROBLEM.manifestCacheControlMissing, 'manifest response has no Cache-Control: the CDN applies its default TTL (stale live edge)')];
    }
    const d = parseCacheControl(value);
    const out: Problem[] = [];
    if (d.noStore) out.push(problem(PROBLEM.manifestNoStore, `manifest Cache-Control "${value}": no-store defeats CDN request collapsing`));
    if (d.noCache) out.push(problem(PROBLEM.manifestNoCache, `manifest Cache-Control "${value}": no-cache sends every request to the origin`));
    if (d.maxAge !== undefined && d.maxAge > MANIFEST_MAX_AGE_S) {
      out.push(problem(PROBLEM.manifestMaxAgeTooLong, `manifest Cache-Control "${value}": max-age ${d.maxAge} s > ${MANIFEST_MAX_AGE_S} s keeps a stale live edge in cache`));
    }
    return out;
  }
  if (value === undefined) return [];
  const d = parseCacheControl(value);
  if (d.noStore || d.noCache || d.private) {
    return [problem(PROBLEM.segmentNotCacheable, `segment Cache-Control "${value}": segments never change and must be cacheable`)];
  }
  if (d.maxAge !== undefined && segmentDurationS !== undefined && d.maxAge < segmentDurationS) {
    return [problem(PROBLEM.segmentMaxAgeTooShort, `segment Cache-Control "${value}": max-age ${d.maxAge} s is shorter than the segment (${segmentDurationS} s)`)];
  }
  return [];
}

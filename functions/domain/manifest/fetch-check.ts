// Is this stream fresh right now? One fetch of the URL (and, for a multivariant playlist, of every rendition,
// concurrently). It uses Node's built-in fetch (keep-alive by default): triage and the failover's freshness step
// make a handful of requests, and bundling undici would add ~0.3 MB to their cold start. The probe, which
// makes thousands a second, uses undici's pools directly (functions/domain/probe/fetcher.ts). The stream is as old as its OLDEST rendition: one frozen
// rendition freezes every viewer who is on it. Never throws: a fetch error, a timeout or an HTTP error is a
// not-fresh verdict with a reason.
import { checkCacheControl } from './cache-control.js';
import { analyzeManifest } from './analyze.js';
import { checkLadderAlignment } from './ladder.js';
import { PROBLEM, problem } from './problems.js';
import type { FreshnessOptions, FreshnessVerdict, ManifestAnalysis, Problem } from './types.js';

export const DEFAULT_FETCH_TIMEOUT_MS = 3000;

export interface FetchedManifest {
  url: string;
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  text: string | null;
  /** Set when the fetch failed (network error, timeout, HTTP error). */
  error?: Problem;
  /** Epoch ms when the body was complete. */
  receivedAt: number;
}

/** GET a manifest; resolves (never rejects) with the body or the reason it could not be read. */
export async function fetchManifest(
  url: string,
  opts: { timeoutMs?: number; now?: () => number } = {},
): Promise<FetchedManifest> {
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'GET',
      signal,
      headers: { accept: 'application/vnd.apple.mpegurl, application/dash+xml, */*' },
    });
    const headers = Object.fromEntries(res.headers);
    if (res.status < 200 || res.status >= 300) {
      await res.body?.cancel();
      return { url, status: res.status, headers, text: null, receivedAt: now(), error: problem(PROBLEM.httpError, `HTTP ${res.status} from ${url}`) };
    }
    const text = await res.text();
    return { url, status: res.status, headers, text, receivedAt: now() };
  } catch (err) {
    const timedOut = signal.aborted;
    return {
      url,
      status: null,
      headers: {},
      text: null,
      receivedAt: now(),
      error: timedOut
        ? problem(PROBLEM.timeout, `no complete response from ${url} within ${timeoutMs} ms`)
        : problem(PROBLEM.fetchFailed, `fetching ${url} failed: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`),
    };
  }
}

interface RenditionState {
  name: string;
  url: string;
  status: number | null;
  analysis: ManifestAnalysis | null;
  text: string | null;
  ageMs: number | null;
  /** Epoch ms: the end of its newest media (the fetch's time less the age). */
  mediaEndMs: number | null;
  problems: Problem[];
  /** Why this rendition cannot count as fresh, regardless of age. */
  broken?: string;
}

function evaluate(name: string, f: FetchedManifest): RenditionState {
  if (f.error || f.text === null) {
    const err = f.error ?? problem(PROBLEM.fetchFailed, `no body from ${f.url}`);
    return { name, url: f.url, status: f.status, analysis: null, text: null, ageMs: null, mediaEndMs: null, problems: [err], broken: err.message };
  }
  const a = analyzeManifest(f.text, { now: f.receivedAt, url: f.url, headers: f.headers });
  const problems = [...a.problems, ...checkCacheControl('manifest', f.headers)];
  // No wall clock in the document: MediaPackage's X-MediaPackage-Manifest-Last-Updated is the second opinion.
  const ageMs = a.ageMs ?? (a.lastUpdatedMs != null ? f.receivedAt - a.lastUpdatedMs : null);
  let broken: string | undefined;
  if (a.format === 'unknown') broken = `not a manifest: ${a.problems[0]?.message ?? 'unrecognized'}`;
  else if (!a.live) broken = a.format === 'dash' ? 'the MPD is static (not live)' : 'the playlist has ended (EXT-X-ENDLIST / VOD)';
  else if (ageMs === null) broken = 'no wall clock in the manifest (no EXT-X-PROGRAM-DATE-TIME / timeline): its age cannot be read from one fetch';
  return { name, url: f.url, status: f.status, analysis: a, text: f.text, ageMs, mediaEndMs: ageMs === null ? null : f.receivedAt - ageMs, problems, broken };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => (seen.has(p.code) ? false : (seen.add(p.code), true)));
}

export async function checkManifestFreshness(url: string, opts: FreshnessOptions): Promise<FreshnessVerdict> {
  const fetchOpts = { timeoutMs: opts.timeoutMs, now: opts.now };
  const top = await fetchManifest(url, fetchOpts);
  const first = evaluate('manifest', top);
  let states: RenditionState[] = [first];
  const extra: Problem[] = [];

  if (first.analysis?.format === 'hls-multivariant') {
    extra.push(...first.problems);
    const renditions = first.analysis.renditions.filter((r) => r.url);
    if (renditions.length === 0) {
      first.broken = 'the multivariant playlist lists no rendition';
    } else {
      states = await Promise.all(renditions.map(async (r) => evaluate(r.name, await fetchManifest(r.url as string, fetchOpts))));
      extra.push(
        ...checkLadderAlignment(
          states.filter((s) => s.analysis).map((s) => ({ name: s.name, analysis: s.analysis as ManifestAnalysis, text: s.text ?? undefined })),
        ),
      );
    }
  }

  const tds = states.map((s) => s.analysis?.targetDuration).filter((t): t is number => typeof t === 'number' && t > 0);
  const targetDuration = tds.length > 0 ? Math.max(...tds) : null;
  const thresholdMs = targetDuration === null ? null : Math.round(opts.staleAfterTargetDurations * targetDuration * 1000);
  const ages = states.map((s) => s.ageMs).filter((a): a is number => a !== null);
  const ageMs = ages.length > 0 ? Math.max(...ages) : null;

  const broken = states.find((s) => s.broken);
  const oldest = states.reduce<RenditionState | undefined>((w, s) => (s.ageMs !== null && (w === undefined || s.ageMs > (w.ageMs ?? -Infinity)) ? s : w), undefined);
  let fresh = false;
  let newMediaDueAt: number | undefined;
  let reason: string;
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  if (broken) {
    reason = states.length > 1 ? `rendition ${broken.name}: ${broken.broken}` : (broken.broken as string);
  } else if (thresholdMs === null || ageMs === null || !oldest) {
    reason = 'no target duration: the staleness threshold cannot be computed';
  } else if (ageMs > thresholdMs) {
    reason = `${states.length > 1 ? `rendition ${oldest.name} is` : 'the manifest is'} ${secs(ageMs)} old (threshold ${secs(thresholdMs)} = ${opts.staleAfterTargetDurations} x ${targetDuration} s)`;
  } else if (opts.producedSince !== undefined && oldest.mediaEndMs !== null && oldest.mediaEndMs <= opts.producedSince) {
    reason = `no new media since ${new Date(opts.producedSince).toISOString()}: ${states.length > 1 ? `rendition ${oldest.name}'s` : 'the'} newest media ended ${secs(opts.producedSince - oldest.mediaEndMs)} before it`;
    newMediaDueAt = oldest.mediaEndMs + thresholdMs;
  } else {
    fresh = true;
    reason = `fresh: ${states.length > 1 ? `oldest rendition ${oldest.name} is` : 'the manifest is'} ${secs(ageMs)} old (threshold ${secs(thresholdMs)})`;
  }

  return {
    url,
    fresh,
    ageMs,
    thresholdMs,
    mediaEndMs: oldest?.mediaEndMs ?? null,
    ...(newMediaDueAt !== undefined ? { newMediaDueAt } : {}),
    targetDuration,
    renditions: states.map((s) => ({ name: s.name, url: s.url, ageMs: s.ageMs, status: s.status, problems: s.problems })),
    reason,
    problems: dedupe([...extra, ...states.flatMap((s) => s.problems)]),
  };
}

// One path of a channel (the edge, the primary origin or the standby origin): its multivariant playlist,
// fetched now and then, and every rendition, fetched every tick. A rendition's age comes from its own wall
// clock (PDT) or, without one, from a per-rendition tracker (time since it last advanced). The path is as
// old as its OLDEST rendition: one frozen rendition while the others advance is a stale stream.
import type { ManifestAnalysis, Problem } from '../manifest/types.js';
import { analyzeManifest, checkCacheControl, checkLadderAlignment, ManifestReader, ManifestTracker, PROBLEM } from '../manifest/index.js';
import type { Verdict } from './debounce.js';
import type { Fetcher, FetchResult } from './fetcher.js';

export type RenditionStatus = 'fresh' | 'stale' | 'error' | 'unknown';

export interface RenditionObservation {
  name: string;
  url: string;
  status: RenditionStatus;
  ageMs: number | null;
  thresholdMs: number | null;
  mediaSequence: number | null;
  targetDuration: number | null;
  /** HTTP status, 0 when no response arrived. */
  httpStatus: number;
  /** The tracker saw the playlist advance since the previous tick. */
  advanced: boolean;
  problems: Problem[];
  fetchMs: number;
}

export interface PathObservation {
  url: string;
  /** Epoch ms when the tick started. */
  at: number;
  verdict: Verdict;
  /** Age of the oldest rendition whose age is known; null when none is. */
  ageMs: number | null;
  /** The largest rendition threshold (staleAfterTargetDurations x target duration). */
  thresholdMs: number | null;
  targetDuration: number | null;
  format: ManifestAnalysis['format'] | null;
  renditions: RenditionObservation[];
  /** Path-level problems: the multivariant fetch, ladder alignment. Rendition problems are on each rendition. */
  problems: Problem[];
  fetches: number;
  fetchErrors: number;
  /** Set when the path could not be observed at all (its multivariant playlist failed). */
  error?: string;
}

export interface PathProbeOptions {
  fetcher: Fetcher;
  staleAfterTargetDurations: number;
  now?: () => number;
  /** Re-read the multivariant playlist every this many ticks (renditions rarely change). */
  ladderRefreshTicks?: number;
  /** Used when a playlist states no target duration. */
  fallbackTargetDurationS?: number;
  /** Check Cache-Control of every manifest response (on by default). */
  checkCaching?: boolean;
}

/** Assumed when a playlist states no target duration (and for a path that could not be read at all). */
export const DEFAULT_TARGET_DURATION_S = 6;

/** Problems that make a manifest unusable for a player too: the rendition is an error (the path unhealthy). */
const UNREADABLE = new Set<string>([PROBLEM.invalidTimeline, PROBLEM.analysisFailed]);

interface LadderEntry {
  name: string;
  url: string;
}

export class PathProbe {
  readonly #o: Required<Omit<PathProbeOptions, 'fetcher'>> & { fetcher: Fetcher };
  #ladder: LadderEntry[] | null = null;
  #ticksSinceLadder = 0;
  #refreshLadder = true;
  #format: ManifestAnalysis['format'] | null = null;
  readonly #trackers = new Map<string, ManifestTracker>();
  /** Per rendition: the full contract pass at most every contractCheckMs, the tail-first age on other fetches. */
  readonly #readers = new Map<string, ManifestReader>();
  #ladderProblems: Problem[] = [];

  constructor(
    readonly url: string,
    options: PathProbeOptions,
  ) {
    this.#o = {
      now: Date.now,
      ladderRefreshTicks: 30,
      fallbackTargetDurationS: DEFAULT_TARGET_DURATION_S,
      checkCaching: true,
      ...options,
    };
  }

  /** The renditions currently probed (null before the first successful read of the playlist). */
  get ladder(): readonly LadderEntry[] | null {
    return this.#ladder;
  }

  async observe(): Promise<PathObservation> {
    const at = this.#o.now();
    const pathProblems: Problem[] = [];
    let fetches = 0;
    let prefetched: { result: FetchResult; receivedAt: number } | undefined;

    if (!this.#ladder || this.#refreshLadder || this.#ticksSinceLadder >= this.#o.ladderRefreshTicks) {
      const result = await this.#o.fetcher.get(this.url);
      const receivedAt = this.#o.now();
      fetches++;
      if (!result.ok || result.body === null) {
        this.#refreshLadder = true;
        const p = fetchProblem(result);
        return { ...emptyObservation(this.url, at, this.#format), problems: [p], fetches, fetchErrors: 1, verdict: 'stale', error: p.message };
      }
      const analysis = analyzeManifest(result.body, { now: receivedAt, url: this.url, headers: result.headers });
      this.#format = analysis.format;
      if (analysis.format === 'hls-multivariant') {
        this.#setLadder(ladderOf(analysis, this.url));
        if (this.#ladder?.length === 0) pathProblems.push({ code: 'no-renditions', message: 'multivariant playlist lists no renditions' });
      } else {
        // A media playlist or an MPD: the path is its own single rendition, and this response is its observation.
        this.#setLadder([{ name: 'media', url: this.url }]);
        prefetched = { result, receivedAt };
      }
    } else {
      this.#ticksSinceLadder++;
    }

    const ladder = this.#ladder ?? [];
    const renditions = await Promise.all(
      ladder.map(async (entry) => {
        if (prefetched && entry.url === this.url) return this.#observeRendition(entry, prefetched.result, prefetched.receivedAt);
        const result = await this.#o.fetcher.get(entry.url);
        return this.#observeRendition(entry, result, this.#o.now());
      }),
    );
    fetches += renditions.length - (prefetched ? 1 : 0);

    // The ladder alignment is a contract check: re-judged when a rendition got its full contract pass.
    if (renditions.some((r) => r.full)) {
      const aligned = renditions
        .filter((r) => r.analysis)
        .map((r) => ({ name: r.observation.name, analysis: r.analysis as ManifestAnalysis, ...(r.text === undefined ? {} : { text: r.text }) }));
      this.#ladderProblems = aligned.length > 1 ? checkLadderAlignment(aligned) : [];
    }
    pathProblems.push(...this.#ladderProblems);

    const observations = renditions.map((r) => r.observation);
    // A vanished rendition (404 after a ladder change) is a reason to re-read the multivariant playlist.
    if (observations.some((r) => r.httpStatus === 404 || r.httpStatus === 410)) this.#refreshLadder = true;
    return summarize(this.url, at, this.#format, observations, pathProblems, fetches);
  }

  #setLadder(ladder: LadderEntry[]): void {
    this.#ladder = ladder;
    this.#ticksSinceLadder = 0;
    this.#refreshLadder = false;
    const keep = new Set(ladder.map((e) => e.url));
    for (const url of this.#trackers.keys()) if (!keep.has(url)) this.#trackers.delete(url);
    for (const url of this.#readers.keys()) if (!keep.has(url)) this.#readers.delete(url);
  }

  #observeRendition(
    entry: LadderEntry,
    result: FetchResult,
    receivedAt: number,
  ): { observation: RenditionObservation; analysis?: ManifestAnalysis; text?: string; full?: boolean } {
    const base = {
      name: entry.name,
      url: entry.url,
      httpStatus: result.status,
      fetchMs: Math.round(result.durationMs),
      advanced: false,
      mediaSequence: null,
      targetDuration: null,
      ageMs: null,
      thresholdMs: null,
    };
    if (!result.ok || result.body === null) return { observation: { ...base, status: 'error', problems: [fetchProblem(result)] } };

    let reader = this.#readers.get(entry.url);
    if (!reader) {
      reader = new ManifestReader();
      this.#readers.set(entry.url, reader);
    }
    const { analysis, path: read } = reader.read(result.body, { now: receivedAt, url: entry.url, headers: result.headers });
    const problems = [...analysis.problems];
    if (this.#o.checkCaching) problems.push(...checkCacheControl('manifest', result.headers));
    const unreadable = analysis.problems.find((p) => UNREADABLE.has(p.code));
    if (analysis.format === 'unknown' || analysis.format === 'hls-multivariant' || unreadable) {
      const why =
        analysis.format === 'hls-multivariant'
          ? 'a multivariant playlist where a media playlist was expected'
          : unreadable
            ? `a manifest no player can follow: ${unreadable.message}`
            : 'not a playlist the probe can read';
      return { observation: { ...base, status: 'error', problems: [...problems, { code: 'unreadable-rendition', message: why }] }, analysis };
    }

    let tracker = this.#trackers.get(entry.url);
    if (!tracker) {
      tracker = new ManifestTracker();
      this.#trackers.set(entry.url, tracker);
    }
    const tracked = tracker.observe(analysis, receivedAt);
    problems.push(...tracked.problems);
    // The playlist's own wall clock wins; the tracker (time since it last advanced) covers playlists without PDT.
    const ageMs = analysis.ageMs ?? tracked.ageMs;
    const targetDuration = analysis.targetDuration;
    const thresholdMs = this.#o.staleAfterTargetDurations * (targetDuration ?? this.#o.fallbackTargetDurationS) * 1000;
    const status: RenditionStatus = ageMs === null ? 'unknown' : ageMs > thresholdMs ? 'stale' : 'fresh';
    return {
      observation: {
        ...base,
        status,
        ageMs: ageMs === null ? null : Math.round(ageMs),
        thresholdMs,
        targetDuration,
        mediaSequence: analysis.lastMsn ?? analysis.mediaSequence,
        advanced: tracked.advanced,
        problems,
      },
      analysis,
      text: result.body,
      full: read === 'full',
    };
  }
}

function ladderOf(analysis: ManifestAnalysis, base: string): LadderEntry[] {
  const seen = new Set<string>();
  const ladder: LadderEntry[] = [];
  for (const r of analysis.renditions) {
    let url: string;
    try {
      url = r.url ?? new URL(r.uri, base).href;
    } catch {
      continue;
    }
    if (seen.has(url)) continue;
    seen.add(url);
    ladder.push({ name: r.name, url });
  }
  return ladder;
}

function fetchProblem(result: FetchResult): Problem {
  const code = result.error?.code;
  if (code === 'timeout') return { code: 'timeout', message: `${result.url}: ${result.error?.message ?? 'timed out'}` };
  if (code === 'http-status') return { code: 'http-error', message: `${result.url}: HTTP ${result.status}` };
  return { code: 'fetch-failed', message: `${result.url}: ${result.error?.message ?? 'no body'}` };
}

function emptyObservation(url: string, at: number, format: ManifestAnalysis['format'] | null): PathObservation {
  return {
    url,
    at,
    verdict: 'unknown',
    ageMs: null,
    thresholdMs: null,
    targetDuration: null,
    format,
    renditions: [],
    problems: [],
    fetches: 0,
    fetchErrors: 0,
  };
}

/** A fetch error counts as stale; any stale rendition makes the path stale; all fresh makes it fresh. */
function summarize(
  url: string,
  at: number,
  format: ManifestAnalysis['format'] | null,
  renditions: RenditionObservation[],
  problems: Problem[],
  fetches: number,
): PathObservation {
  const fetchErrors = renditions.filter((r) => r.status === 'error').length;
  const ages = renditions.map((r) => r.ageMs).filter((a): a is number => a !== null);
  const thresholds = renditions.map((r) => r.thresholdMs).filter((t): t is number => t !== null);
  const targets = renditions.map((r) => r.targetDuration).filter((t): t is number => t !== null);
  let verdict: Verdict;
  if (renditions.length === 0) verdict = 'stale';
  else if (renditions.some((r) => r.status === 'error' || r.status === 'stale')) verdict = 'stale';
  else if (renditions.every((r) => r.status === 'fresh')) verdict = 'fresh';
  else verdict = 'unknown';
  return {
    url,
    at,
    verdict,
    ageMs: ages.length ? Math.max(...ages) : null,
    thresholdMs: thresholds.length ? Math.max(...thresholds) : null,
    targetDuration: targets.length ? Math.max(...targets) : null,
    format,
    renditions,
    problems,
    fetches,
    fetchErrors,
  };
}

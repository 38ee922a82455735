// One path of a channel (the edge, the primary origin or the standby origin): its multivariant playlist,
// fetched now and then, and its renditions. A rendition's age comes from its own wall clock (PDT) or, without
// one, from a per-rendition tracker (time since it last advanced). The path is as old as its OLDEST rendition:
// one frozen rendition while the others advance is a stale stream.
//
// Two schedules. 'sweep': every rendition on every observe(). 'deadline' (what the probe loop runs, through
// dispatch()): each rendition when schedule.ts says it is due, and the scout's look brings its siblings forward.
// Every fetch is in flight on its own and reported as soon as it is back: a slow rendition never holds up another
// one's deadline.
// A stale (or recovered) rendition is fetched again to confirm (confirm()): on an origin at once, on the edge only
// once the cached copy has expired (Cache-Control max-age minus Age), so the confirmation observes the edge rather
// than the same cached response.
import type { ManifestAnalysis, Problem } from '../manifest/types.js';
import { analyzeManifest, cacheTtlMs, checkCacheControl, checkLadderAlignment, ManifestReader, ManifestTracker, PROBLEM } from '../manifest/index.js';
import type { Verdict } from './debounce.js';
import type { Fetcher, FetchResult } from './fetcher.js';
import type { RunOptions } from './limiter.js';
import { lateOnItsOwn, nextDueAt, siblingOffsetMs, slotOptions, staleAt, type RenditionPlace, type RenditionTimes } from './schedule.js';

export type RenditionStatus = 'fresh' | 'stale' | 'error' | 'unknown';

export interface RenditionObservation {
  name: string;
  url: string;
  status: RenditionStatus;
  ageMs: number | null;
  /** Epoch ms of the live edge by the playlist's own wall clock (ageMs = receipt - this); null when ageMs is not from one. */
  liveEdgeAt: number | null;
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
  /**
   * Epoch ms of the oldest rendition's live edge by the playlists' own wall clock: comparable across paths (the
   * edge and the origin it caches carry the same PDT for the same media). null unless every rendition has one
   * (an age from the tracker, a failed fetch: the path's oldest media is not known).
   */
  liveEdgeAt: number | null;
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
  /** The renditions fetched for this observation (sweep: all of them; deadline: the one just back, or none). */
  fetched: RenditionObservation[];
  /**
   * How late the fetches of this observation left after they were due, ms (the latest of them): from the due
   * time to the request's start, the wait for a tick and for a concurrency slot included. Fetches that start
   * late mean the probe is saturated (its deadlines slip by as much). Sweep: every fetch is due when the
   * observation starts. null: no fetch had a due time yet (a path's first fetches).
   */
  fetchLagMs: number | null;
}

export type ProbeSchedule = 'sweep' | 'deadline';

export interface PathProbeOptions {
  fetcher: Fetcher;
  staleAfterTargetDurations: number;
  now?: () => number;
  /** Re-read the multivariant playlist every this many ticks (deadline: target durations); renditions rarely change. */
  ladderRefreshTicks?: number;
  /** Used when a playlist states no target duration. */
  fallbackTargetDurationS?: number;
  /** Check Cache-Control of every manifest response (on by default). */
  checkCaching?: boolean;
  /** 'sweep' (default): every rendition on every observe(); 'deadline': each rendition when it is due. */
  schedule?: ProbeSchedule;
  /** Confirming fetches wait for the cached copy to expire (the edge path). */
  confirmAfterCacheTtl?: boolean;
}

/** Assumed when a playlist states no target duration (and for a path that could not be read at all). */
export const DEFAULT_TARGET_DURATION_S = 6;

/** Problems that make a manifest unusable for a player too: the rendition is an error (the path unhealthy). */
const UNREADABLE = new Set<string>([PROBLEM.invalidTimeline, PROBLEM.analysisFailed]);

interface LadderEntry {
  name: string;
  url: string;
}

interface RenditionRead {
  observation: RenditionObservation;
  analysis?: ManifestAnalysis;
  text?: string;
  /** The body got the full contract pass (ManifestReader). */
  full?: boolean;
}

/** What the path remembers of a rendition between its fetches (deadline schedule). */
interface RenditionMemory extends RenditionTimes {
  observation: RenditionObservation;
  analysis?: ManifestAnalysis;
  /** How long the response may be served from a cache (edge confirmations wait for it). */
  ttlMs: number;
  /** Epoch ms (the probe's clock) when it is next fetched. */
  dueAt: number;
}

export class PathProbe {
  readonly #o: Required<Omit<PathProbeOptions, 'fetcher'>> & { fetcher: Fetcher };
  #ladder: LadderEntry[] | null = null;
  /** The ladder's rendition URLs (read on every result: kept rather than mapped each time). */
  #renditionUrls: readonly string[] = [];
  #ticksSinceLadder = 0;
  #refreshLadder = true;
  #format: ManifestAnalysis['format'] | null = null;
  readonly #trackers = new Map<string, ManifestTracker>();
  /** Per rendition: the full contract pass at most every contractCheckMs, the tail-first age on other fetches. */
  readonly #readers = new Map<string, ManifestReader>();
  #ladderProblems: Problem[] = [];
  readonly #memory = new Map<string, RenditionMemory>();
  /** Deadline schedule: when the multivariant playlist is read next (a refresh, a retry, a confirmation). */
  #ladderDueAt = Number.NEGATIVE_INFINITY;
  #ladderReceivedAt = 0;
  #ladderTtlMs = 0;
  #ladderInFlight = false;
  /** Deadline schedule: renditions whose fetch is in flight (not started again until it is back). */
  readonly #inFlight = new Set<string>();

  constructor(
    readonly url: string,
    options: PathProbeOptions,
  ) {
    this.#o = {
      now: Date.now,
      ladderRefreshTicks: 30,
      fallbackTargetDurationS: DEFAULT_TARGET_DURATION_S,
      checkCaching: true,
      schedule: 'sweep',
      confirmAfterCacheTtl: false,
      ...options,
    };
  }

  get schedule(): ProbeSchedule {
    return this.#o.schedule;
  }

  /** Ms from `now` until the next fetch is due, fetches in flight aside (0: due now; Infinity: all in flight); sweep: 0. */
  dueIn(now = this.#o.now()): number {
    if (this.#o.schedule === 'sweep') return 0;
    let next = this.#ladderInFlight ? Number.POSITIVE_INFINITY : this.#ladderDueAt;
    // While the multivariant playlist must be (re-)read, the renditions wait for it.
    if (this.#ladder && !this.#refreshLadder)
      for (const e of this.#ladder) {
        if (this.#inFlight.has(e.url)) continue;
        const due = this.#memory.get(e.url)?.dueAt ?? Number.NEGATIVE_INFINITY;
        if (due < next) next = due;
      }
    return Math.max(0, next - now);
  }

  /**
   * A rendition's verdict differs from its debounced state: fetch it again, on an origin at once, on the edge
   * once the cached copy expired. Without a ladder (or for the path's own URL), the multivariant playlist.
   */
  confirm(url: string): void {
    if (this.#o.schedule !== 'deadline') return;
    const m = url === this.url && (!this.#ladder || this.#refreshLadder || this.#ladder.length === 0) ? undefined : this.#memory.get(url);
    if (m) {
      m.dueAt = Math.min(m.dueAt, m.receivedAt + this.#confirmDelay(m.ttlMs));
      m.confirming = true;
    } else this.#ladderDueAt = Math.min(this.#ladderDueAt, this.#ladderReceivedAt + this.#confirmDelay(this.#ladderTtlMs));
  }

  #confirmDelay(ttlMs: number): number {
    return this.#o.confirmAfterCacheTtl ? ttlMs : 0;
  }

  /**
   * Deadline schedule: starts every fetch due at `now` that is not in flight, each on its own; `report` gets
   * each one's observation as soon as it is back. The promises settle when the fetches are done (never reject
   * unless `report` throws).
   */
  dispatch(report: (observation: PathObservation) => void, now = this.#o.now()): Array<Promise<void>> {
    const started: Array<Promise<void>> = [];
    if (!this.#ladderInFlight && now >= this.#ladderDueAt) started.push(this.#readLadder(report));
    if (!this.#ladder || this.#refreshLadder) return started;
    for (const entry of this.#ladder) {
      if (this.#inFlight.has(entry.url) || (this.#memory.get(entry.url)?.dueAt ?? Number.NEGATIVE_INFINITY) > now) continue;
      started.push(this.#fetchRendition(entry, report));
    }
    return started;
  }

  /** Deadline schedule: the multivariant playlist, read on its own (renditions keep their own schedule). */
  async #readLadder(report: (observation: PathObservation) => void): Promise<void> {
    this.#ladderInFlight = true;
    const lateBy = lateness(this.#ladderDueAt, this.#o.now());
    let result: FetchResult;
    try {
      // Queued for a target duration, it takes its turn among the deadline fetches (see slotOptions in schedule.ts).
      result = await this.#o.fetcher.get(this.url, { deadlineInMs: this.#fallbackTdMs() });
    } finally {
      this.#ladderInFlight = false;
    }
    const receivedAt = this.#o.now();
    this.#ladderReceivedAt = receivedAt;
    this.#ladderTtlMs = cacheTtlMs(result.headers) ?? 0;
    if (!result.ok || result.body === null) {
      this.#refreshLadder = true;
      // Retried after a target duration, unless a confirmation is due first.
      this.#ladderDueAt = receivedAt + this.#fallbackTdMs();
      const p = fetchProblem(result);
      report({ ...emptyObservation(this.url, receivedAt, this.#format), problems: [p], fetches: 1, fetchErrors: 1, verdict: 'stale', error: p.message, fetchLagMs: lateBy(result) });
      return;
    }
    const analysis = analyzeManifest(result.body, { now: receivedAt, url: this.url, headers: result.headers });
    this.#format = analysis.format;
    const problems: Problem[] = [];
    let fetched: RenditionObservation[] = [];
    if (analysis.format === 'hls-multivariant') {
      this.#setLadder(ladderOf(analysis, this.url));
      if (this.#ladder?.length === 0) problems.push({ code: 'no-renditions', message: 'multivariant playlist lists no renditions' });
    } else {
      // A media playlist or an MPD: the path is its own single rendition, and this response is its observation.
      const entry = { name: 'media', url: this.url };
      this.#setLadder([entry]);
      fetched = [this.#observeRendition(entry, result, receivedAt).observation];
    }
    this.#ladderDueAt = receivedAt + this.#o.ladderRefreshTicks * this.#fallbackTdMs();
    report({ ...this.#summary(receivedAt, this.#ladder ?? [], fetched, [...problems, ...this.#ladderProblems], 1), fetchLagMs: lateBy(result) });
  }

  /** Deadline schedule: one rendition, reported as soon as it is back. */
  async #fetchRendition(entry: LadderEntry, report: (observation: PathObservation) => void): Promise<void> {
    this.#inFlight.add(entry.url);
    const lateBy = lateness(this.#memory.get(entry.url)?.dueAt, this.#o.now());
    let result: FetchResult;
    try {
      result = await this.#o.fetcher.get(entry.url, this.#slotOptions(entry.url));
    } finally {
      this.#inFlight.delete(entry.url);
    }
    // The ladder changed while the request was out: the rendition is gone.
    const ladder = this.#ladder ?? [];
    if (!ladder.some((e) => e.url === entry.url)) return;
    const r = this.#observeRendition(entry, result, this.#o.now());
    if (r.full) this.#checkLadder(ladder, new Map([[entry.url, r.text]]));
    // A vanished rendition (404 after a ladder change) is a reason to re-read the multivariant playlist now.
    if (r.observation.httpStatus === 404 || r.observation.httpStatus === 410) {
      this.#refreshLadder = true;
      this.#ladderDueAt = Number.NEGATIVE_INFINITY;
    }
    // Built for every manifest fetched: set on the summary rather than copied into another object. The ladder's
    // problems are shared, not copied (#checkLadder replaces the array, never changes it).
    const observation = this.#summary(this.#o.now(), ladder, [r.observation], this.#ladderProblems, 1);
    observation.fetchLagMs = lateBy(result);
    report(observation);
  }

  /** The ladder alignment is a contract check: re-judged when a rendition got its full contract pass. */
  #checkLadder(ladder: readonly LadderEntry[], texts: ReadonlyMap<string, string | undefined>): void {
    const aligned = ladder.flatMap((e) => {
      const m = this.#memory.get(e.url);
      if (!m?.analysis) return [];
      const text = texts.get(e.url);
      return [{ name: e.name, analysis: m.analysis, ...(text === undefined ? {} : { text }) }];
    });
    this.#ladderProblems = aligned.length > 1 ? checkLadderAlignment(aligned) : [];
  }

  /** The renditions currently probed (null before the first successful read of the playlist). */
  get ladder(): readonly LadderEntry[] | null {
    return this.#ladder;
  }

  /** The URLs of the renditions currently probed (empty before the first successful read of the playlist). */
  get renditionUrls(): readonly string[] {
    return this.#renditionUrls;
  }

  /** Sweep schedule: the multivariant playlist when due, then every rendition, concurrently; one observation. */
  async observe(): Promise<PathObservation> {
    const at = this.#o.now();
    const due = performance.now(); // every fetch of a sweep is due now
    let lagMs = 0;
    const pathProblems: Problem[] = [];
    let fetches = 0;
    let prefetched: { result: FetchResult; receivedAt: number } | undefined;

    if (!this.#ladder || this.#refreshLadder || this.#ticksSinceLadder >= this.#o.ladderRefreshTicks) {
      const result = await this.#o.fetcher.get(this.url);
      const receivedAt = this.#o.now();
      fetches++;
      lagMs = Math.max(lagMs, result.startedAt - due);
      if (!result.ok || result.body === null) {
        this.#refreshLadder = true;
        const p = fetchProblem(result);
        return { ...emptyObservation(this.url, at, this.#format), problems: [p], fetches, fetchErrors: 1, verdict: 'stale', error: p.message, fetchLagMs: lagMs };
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
    } else this.#ticksSinceLadder++;

    const ladder = this.#ladder ?? [];
    const fetched = await Promise.all(
      ladder.map(async (entry) => {
        if (prefetched && entry.url === this.url) return this.#observeRendition(entry, prefetched.result, prefetched.receivedAt);
        const result = await this.#o.fetcher.get(entry.url);
        lagMs = Math.max(lagMs, result.startedAt - due);
        return this.#observeRendition(entry, result, this.#o.now());
      }),
    );
    fetches += fetched.length - (prefetched ? 1 : 0);
    if (fetched.some((r) => r.full)) this.#checkLadder(ladder, new Map(fetched.map((r) => [r.observation.url, r.text])));
    pathProblems.push(...this.#ladderProblems);

    // A vanished rendition (404 after a ladder change) is a reason to re-read the multivariant playlist.
    if (fetched.some((r) => r.observation.httpStatus === 404 || r.observation.httpStatus === 410)) this.#refreshLadder = true;
    return { ...this.#summary(at, ladder, fetched.map((r) => r.observation), pathProblems, fetches), fetchLagMs: lagMs };
  }

  #fallbackTdMs(): number {
    let td = 0;
    for (const m of this.#memory.values()) td = Math.max(td, m.observation.targetDuration ?? 0);
    return (td > 0 ? td : this.#o.fallbackTargetDurationS) * 1000;
  }

  /** The path from the newest observation of every rendition; `fetchedNow` are the ones just fetched. */
  #summary(at: number, ladder: readonly LadderEntry[], fetchedNow: RenditionObservation[], problems: Problem[], fetches: number): PathObservation {
    const observations: RenditionObservation[] = [];
    for (const e of ladder) {
      const m = this.#memory.get(e.url);
      if (m) observations.push(m.observation);
    }
    let fetchErrors = 0;
    for (const r of fetchedNow) if (r.status === 'error') fetchErrors++;
    const obs = summarize(this.url, at, this.#format, observations, problems, fetches, fetchErrors);
    obs.fetched = fetchedNow;
    return obs;
  }

  /** When the rendition is fetched next (schedule.ts). */
  #schedule(url: string, m: RenditionMemory): void {
    m.dueAt = nextDueAt(m, this.#place(url, m));
  }

  /** Where the rendition stands in its path, for the schedule. */
  #place(url: string, m: RenditionMemory): RenditionPlace {
    const tdMs = (m.observation.targetDuration ?? this.#o.fallbackTargetDurationS) * 1000;
    const scout = this.#scout();
    const scoutNewestEndAt = scout === undefined || scout === url ? null : (this.#memory.get(scout)?.newestEndAt ?? null);
    return { pathUrl: this.url, scout: url === scout, scoutNewestEndAt, targetDurationMs: tdMs, staleAfterTargetDurations: this.#o.staleAfterTargetDurations };
  }

  /**
   * The rendition whose learning fetch stands for the path's: the first of the ladder that is fresh by its own
   * wall clock (the renditions of a ladder are packaged together: when one has its new segment, the others have
   * theirs). One learning fetch per path, then its siblings once it saw the new segment, rather than one per
   * rendition: a learning fetch that misses a late segment costs a deadline fetch, and this way it costs one per
   * path, not one per rendition.
   */
  #scout(): string | undefined {
    return this.#ladder?.find((e) => this.#memory.get(e.url)?.newestEndAt != null)?.url;
  }

  /**
   * The scout's look stands for its siblings. It saw a segment ending at `newestEndAt`: its fresh siblings that have
   * not seen that segment yet (their newest ends half a target duration or more before it: renditions' boundaries
   * may differ by a few frames) fall due, each at its own offset (siblingOffsetMs: spread, and back well before its
   * deadline). It found nothing fresh (stale, an error): every fresh sibling falls due so, as the path's readings
   * (and its next scout) come from them. Only the scout's look: a sibling's news would fetch a frozen sibling
   * again and again.
   */
  #followScout(from: string, newestEndAt: number | null, now: number): void {
    if (this.#o.schedule !== 'deadline') return;
    for (const [url, m] of this.#memory) {
      if (url === from || m.newestEndAt === null || this.#inFlight.has(url)) continue;
      const tdMs = (m.observation.targetDuration ?? this.#o.fallbackTargetDurationS) * 1000;
      if (newestEndAt === null || m.newestEndAt + tdMs / 2 <= newestEndAt) {
        m.dueAt = Math.min(m.dueAt, now + (m.staleAt === null ? 0 : siblingOffsetMs(url, now, m.staleAt, tdMs)));
        m.following = true;
      }
    }
  }

  #slotOptions(url: string): RunOptions {
    const m = this.#memory.get(url);
    const tdMs = (m?.observation.targetDuration ?? this.#o.fallbackTargetDurationS) * 1000;
    return slotOptions(m, this.#o.now(), tdMs, m !== undefined && lateOnItsOwn(m, this.#place(url, m)));
  }

  #setLadder(ladder: LadderEntry[]): void {
    this.#ladder = ladder;
    this.#renditionUrls = ladder.map((e) => e.url);
    this.#ticksSinceLadder = 0;
    this.#refreshLadder = false;
    const keep = new Set(ladder.map((e) => e.url));
    for (const url of this.#trackers.keys()) if (!keep.has(url)) this.#trackers.delete(url);
    for (const url of this.#readers.keys()) if (!keep.has(url)) this.#readers.delete(url);
    for (const url of this.#memory.keys()) if (!keep.has(url)) this.#memory.delete(url);
  }

  #observeRendition(entry: LadderEntry, result: FetchResult, receivedAt: number): RenditionRead {
    const r = this.#readRendition(entry, result, receivedAt);
    const prev = this.#memory.get(entry.url);
    const wasScout = entry.url === this.#scout();
    const m: RenditionMemory = {
      observation: r.observation,
      analysis: r.analysis ?? prev?.analysis,
      receivedAt,
      ttlMs: cacheTtlMs(result.headers) ?? 0,
      dueAt: 0,
      staleAt: staleAt(r.observation, receivedAt),
      newestEndAt: r.observation.status === 'fresh' ? r.observation.liveEdgeAt : null,
    };
    this.#memory.set(entry.url, m);
    this.#schedule(entry.url, m);
    if (wasScout) this.#followScout(entry.url, m.newestEndAt, receivedAt);
    return r;
  }

  #readRendition(entry: LadderEntry, result: FetchResult, receivedAt: number): RenditionRead {
    const fetchMs = Math.round(result.durationMs);
    const failed = (problems: Problem[]): RenditionObservation => ({
      name: entry.name,
      url: entry.url,
      status: 'error',
      httpStatus: result.status,
      fetchMs,
      advanced: false,
      mediaSequence: null,
      targetDuration: null,
      ageMs: null,
      liveEdgeAt: null,
      thresholdMs: null,
      problems,
    });
    if (!result.ok || result.body === null) return { observation: failed([fetchProblem(result)]) };

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
      return { observation: failed([...problems, { code: 'unreadable-rendition', message: why }]), analysis };
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
    // Only an age read from the wall clock has a live edge (a clock running ahead of now has no age either).
    const liveEdgeAt = analysis.ageMs !== null && analysis.liveEdge !== null ? Date.parse(analysis.liveEdge) : null;
    const targetDuration = analysis.targetDuration;
    const thresholdMs = this.#o.staleAfterTargetDurations * (targetDuration ?? this.#o.fallbackTargetDurationS) * 1000;
    const status: RenditionStatus = ageMs === null ? 'unknown' : ageMs > thresholdMs ? 'stale' : 'fresh';
    return {
      // Written out: this is built for every manifest fetched.
      observation: {
        name: entry.name,
        url: entry.url,
        status,
        ageMs: ageMs === null ? null : Math.round(ageMs),
        liveEdgeAt,
        thresholdMs,
        mediaSequence: analysis.lastMsn ?? analysis.mediaSequence,
        targetDuration,
        httpStatus: result.status,
        advanced: tracked.advanced,
        problems,
        fetchMs,
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
  // An origin that admits only its CDN (a MediaPackage endpoint policy for CloudFront's origin access control, CDN
  // authorization) refuses the probe and still serves viewers: a 401/403 is the probe's access, not an outage.
  if (code === 'http-status' && (result.status === 401 || result.status === 403))
    return { code: PROBLEM.accessDenied, message: `${result.url}: HTTP ${result.status}: the origin refuses the probe (an endpoint policy or CDN authorization that admits only the CDN?)` };
  if (code === 'http-status') return { code: PROBLEM.httpError, message: `${result.url}: HTTP ${result.status}` };
  return { code: 'fetch-failed', message: `${result.url}: ${result.error?.message ?? 'no body'}` };
}

/**
 * How late a fetch due at `dueAt` (the probe's clock) and dispatched at `dispatchedAt` left: the wait for the
 * tick plus the wait for a concurrency slot. null when it had no due time (a first fetch).
 */
function lateness(dueAt: number | undefined, dispatchedAt: number): (result: FetchResult) => number | null {
  if (dueAt === undefined || !Number.isFinite(dueAt)) return () => null;
  const beforeDispatch = Math.max(0, dispatchedAt - dueAt);
  return (result) => beforeDispatch + result.queuedMs;
}

function emptyObservation(url: string, at: number, format: ManifestAnalysis['format'] | null): PathObservation {
  return {
    url,
    at,
    verdict: 'unknown',
    ageMs: null,
    liveEdgeAt: null,
    thresholdMs: null,
    targetDuration: null,
    format,
    renditions: [],
    problems: [],
    fetches: 0,
    fetchErrors: 0,
    fetched: [],
    fetchLagMs: null,
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
  fetchErrors: number,
): PathObservation {
  // One pass: this runs for every manifest fetched (thousands per second on a shard).
  let ageMs: number | null = null;
  let liveEdgeAt: number | null = null;
  let liveEdges = 0;
  let thresholdMs: number | null = null;
  let targetDuration: number | null = null;
  let staleOrError = false;
  let allFresh = true;
  for (const r of renditions) {
    if (r.ageMs !== null && (ageMs === null || r.ageMs > ageMs)) ageMs = r.ageMs;
    if (r.liveEdgeAt !== null) {
      liveEdges++;
      if (liveEdgeAt === null || r.liveEdgeAt < liveEdgeAt) liveEdgeAt = r.liveEdgeAt;
    }
    if (r.thresholdMs !== null && (thresholdMs === null || r.thresholdMs > thresholdMs)) thresholdMs = r.thresholdMs;
    if (r.targetDuration !== null && (targetDuration === null || r.targetDuration > targetDuration)) targetDuration = r.targetDuration;
    if (r.status === 'error' || r.status === 'stale') staleOrError = true;
    if (r.status !== 'fresh') allFresh = false;
  }
  const verdict: Verdict = renditions.length === 0 || staleOrError ? 'stale' : allFresh ? 'fresh' : 'unknown';
  return {
    url,
    at,
    verdict,
    ageMs,
    liveEdgeAt: liveEdges > 0 && liveEdges === renditions.length ? liveEdgeAt : null,
    thresholdMs,
    targetDuration,
    format,
    renditions,
    problems,
    fetches,
    fetchErrors,
    fetched: renditions,
    fetchLagMs: null,
  };
}

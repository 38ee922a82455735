// One channel of the registry: its edge, primary-origin and standby-origin paths, each probed and debounced
// on its own, and a transition (the evidence of all three paths attached) whenever a path changes state.
import type { ManifestTransitionDetail, ProbePath } from '../contracts.js';
import { MANIFEST_FRESH, MANIFEST_STALE } from '../contracts.js';
import type { Channel } from '../registry/index.js';
import { LadderDebouncer, PathDebouncer, type PathState, type Verdict } from './debounce.js';
import { diagnose, type Diagnosis, type PathView } from './diagnosis.js';
import type { Fetcher } from './fetcher.js';
import { DEFAULT_TARGET_DURATION_S, PathProbe, type PathObservation, type ProbeSchedule, type RenditionStatus } from './path-probe.js';

export const PROBE_PATHS: readonly ProbePath[] = ['edge', 'primary', 'standby'];

export interface PathReport extends PathObservation {
  path: ProbePath;
  /** The debounced state after this tick. */
  state: PathState;
  run: { stale: number; fresh: number };
  /** Something of the path was fetched in this tick (deadline: since the last report; else its latest, fetches 0). */
  observed: boolean;
}


export interface ChannelReport {
  channelId: string;
  paths: Partial<Record<ProbePath, PathReport>>;
  diagnosis: Diagnosis;
}

export interface Transition {
  detailType: typeof MANIFEST_STALE | typeof MANIFEST_FRESH;
  detail: ManifestTransitionDetail;
}

export interface ChannelProbeOptions {
  fetcher: Fetcher;
  now?: () => number;
  /** Which paths to probe (default all three). */
  paths?: readonly ProbePath[];
  ladderRefreshTicks?: number;
  /** Announce a path settling into fresh after a (cold) start too, not only stale -> fresh. */
  announceInitialFresh?: boolean;
  /**
   * 'sweep' (default): every rendition every tick (tick()), a transition after `consecutive` ticks in a row.
   * 'deadline' (dispatch()): each rendition when due, a rendition's first stale (or fresh) verdict confirmed by
   * `consecutive` more fetches of it.
   */
  schedule?: ProbeSchedule;
}

/**
 * How often a primary that stays stale is announced again: a quarter of the channel's dwell, between 1 s and
 * 30 s. An outage that triage could not act on within the dwell is looked at again at most this long after
 * the dwell ends.
 */
export function staleReminderMs(channel: Channel): number {
  return Math.min(30_000, Math.max(1000, (channel.policy.minDwellSeconds * 1000) / 4));
}

export function pathUrl(channel: Channel, path: ProbePath): string {
  return path === 'edge' ? channel.edge.manifestUrl : channel[path].manifestUrl;
}

export class ChannelProbe {
  readonly #probes = new Map<ProbePath, PathProbe>();
  readonly #debouncers = new Map<ProbePath, PathDebouncer | LadderDebouncer>();
  /** The latest report of every path (deadline schedule: a path is not fetched every tick). */
  readonly #latest = new Map<ProbePath, PathReport>();
  /** Deadline schedule: fetches (and the latest start) per path since the last report(); the report repeated while nothing was. */
  readonly #sinceReport = new Map<ProbePath, { fetches: number; fetchErrors: number; fetchLagMs: number | null }>();
  #idleReport: ChannelReport | undefined;
  readonly #schedule: ProbeSchedule;
  readonly #now: () => number;
  /** Automatic failback: when the primary settled into fresh, and when that was last announced. */
  #primaryFreshSince: number | null = null;
  #primaryAnnouncedAt: number | null = null;
  /** Outages: when the primary's stale state was last announced (a change or a reminder). */
  #primaryStaleAnnouncedAt: number | null = null;

  constructor(
    readonly channel: Channel,
    options: ChannelProbeOptions,
  ) {
    this.#now = options.now ?? Date.now;
    const schedule = options.schedule ?? 'sweep';
    this.#schedule = schedule;
    for (const path of options.paths ?? PROBE_PATHS) {
      this.#probes.set(
        path,
        new PathProbe(pathUrl(channel, path), {
          fetcher: options.fetcher,
          now: this.#now,
          staleAfterTargetDurations: channel.policy.staleAfterTargetDurations,
          schedule,
          // The edge is a cache: a confirmation must wait for the cached copy to expire, or it proves nothing.
          confirmAfterCacheTtl: path === 'edge',
          ...(options.ladderRefreshTicks === undefined ? {} : { ladderRefreshTicks: options.ladderRefreshTicks }),
        }),
      );
      const announce = options.announceInitialFresh ?? false;
      this.#debouncers.set(
        path,
        schedule === 'deadline' ? new LadderDebouncer(channel.policy.consecutive, announce) : new PathDebouncer(channel.policy.consecutive, announce),
      );
    }
  }

  /** Ms until one of the paths has a fetch due (0: now). */
  dueIn(now = this.#now()): number {
    let next = Number.POSITIVE_INFINITY;
    for (const probe of this.#probes.values()) next = Math.min(next, probe.dueIn(now));
    return next;
  }

  /** The debounced state of every probed path. */
  states(): PathView {
    const view: PathView = {};
    for (const [path, d] of this.#debouncers) view[path] = d.state;
    return view;
  }

  /** Sweep schedule: probes every path concurrently, then debounces; a path never waits for another. */
  async tick(): Promise<{ report: ChannelReport; transitions: Transition[] }> {
    if (this.#schedule !== 'sweep') throw new Error(`${this.channel.id}: tick() runs the sweep schedule; the deadline schedule runs through dispatch()`);
    const entries = [...this.#probes];
    const observations = await Promise.all(entries.map(([, probe]) => probe.observe()));
    const paths: Partial<Record<ProbePath, PathReport>> = {};
    const changed: Array<{ path: ProbePath; state: 'stale' | 'fresh' }> = [];
    entries.forEach(([path], i) => {
      const observation = observations[i] as PathObservation;
      const debouncer = this.#debouncers.get(path) as PathDebouncer;
      const change = debouncer.observe(observation.verdict);
      if (change === 'stale' || change === 'fresh') changed.push({ path, state: change });
      const report: PathReport = { ...observation, path, state: debouncer.state, run: debouncer.run, observed: true };
      this.#latest.set(path, report);
      paths[path] = report;
    });
    const report: ChannelReport = { channelId: this.channel.id, paths, diagnosis: diagnose(viewOf(paths)) };
    return { report, transitions: this.#announce(report, changed) };
  }

  /**
   * Deadline schedule: starts every fetch of the channel that is due at `now` and not in flight; `onResult`
   * gets the transitions each result brings, as soon as it is back (a path never waits for another, nor a
   * rendition for another). The promises settle when the fetches are done.
   */
  dispatch(onResult: (transitions: Transition[]) => void, now = this.#now()): Array<Promise<void>> {
    const started: Array<Promise<void>> = [];
    for (const [path, probe] of this.#probes) {
      if (probe.dueIn(now) > 0) continue;
      started.push(...probe.dispatch((observation) => onResult(this.#observed(path, probe, observation)), now));
    }
    return started;
  }

  /** Deadline schedule: the latest of every path, `observed` with the fetches made since the last report. */
  report(): ChannelReport {
    if (this.#sinceReport.size === 0 && this.#idleReport) return this.#idleReport;
    const paths: Partial<Record<ProbePath, PathReport>> = {};
    const idle: Partial<Record<ProbePath, PathReport>> = {};
    for (const [path, latest] of this.#latest) {
      const since = this.#sinceReport.get(path);
      idle[path] = { ...latest, fetches: 0, fetchErrors: 0, fetchLagMs: null, observed: false };
      paths[path] = since ? { ...latest, ...since, observed: true } : idle[path];
    }
    this.#sinceReport.clear();
    const diagnosis = diagnose(viewOf(paths));
    this.#idleReport = { channelId: this.channel.id, paths: idle, diagnosis };
    return { channelId: this.channel.id, paths, diagnosis };
  }

  /** One result of the deadline schedule: debounced per rendition, confirmed when it disagrees, announced. */
  #observed(path: ProbePath, probe: PathProbe, observation: PathObservation): Transition[] {
    const debouncer = this.#debouncers.get(path) as LadderDebouncer;
    const ladder = probe.ladder;
    // Without a readable ladder the path's own URL stands for it.
    const renditions = ladder && ladder.length > 0 ? probe.renditionUrls : [probe.url];
    debouncer.track(renditions);
    if (observation.error !== undefined || ladder?.length === 0) {
      // A failed multivariant playlist is a failed fetch of every rendition it lists (no player gets further).
      for (const r of renditions) debouncer.observe(r, 'stale');
      if (renditions.some((r) => debouncer.stateOf(r) !== 'stale')) probe.confirm(probe.url);
    } else {
      for (const r of observation.fetched) {
        const verdict = verdictOf(r.status);
        debouncer.observe(r.url, verdict);
        if (verdict !== 'unknown' && debouncer.stateOf(r.url) !== verdict) probe.confirm(r.url);
      }
    }
    const change = debouncer.settle();
    // The observation is this result's own: completed in place rather than copied (this runs for every manifest).
    const latest: PathReport = Object.assign(observation, { path, state: debouncer.state, run: debouncer.run, observed: true });
    this.#latest.set(path, latest);
    const since = this.#sinceReport.get(path) ?? { fetches: 0, fetchErrors: 0, fetchLagMs: null };
    since.fetches += observation.fetches;
    since.fetchErrors += observation.fetchErrors;
    if (observation.fetchLagMs !== null) since.fetchLagMs = Math.max(since.fetchLagMs ?? 0, observation.fetchLagMs);
    this.#sinceReport.set(path, since);
    return this.#announce(
      () => {
        const paths = Object.fromEntries(this.#latest) as Partial<Record<ProbePath, PathReport>>;
        return { channelId: this.channel.id, paths, diagnosis: diagnose(viewOf(paths)) };
      },
      change === 'stale' || change === 'fresh' ? [{ path, state: change }] : [],
    );
  }

  /** The transitions for the changes, plus the primary's reminders (failback dwell, outage). */
  #announce(reportOf: ChannelReport | (() => ChannelReport), changed: Array<{ path: ProbePath; state: 'stale' | 'fresh' }>): Transition[] {
    if (this.#dwellReminderDue(changed)) changed.push({ path: 'primary', state: 'fresh' });
    const reminders = this.#staleReminderDue(changed) ? [{ path: 'primary' as const, state: 'stale' as const }] : [];
    // Most results change nothing: the report and the timestamp are only made for a transition.
    if (changed.length === 0 && reminders.length === 0) return [];
    const report = typeof reportOf === 'function' ? reportOf() : reportOf;
    const observedAt = new Date(this.#now()).toISOString();
    return [
      ...changed.map(({ path, state }) => this.#transition(report, path, state, observedAt)),
      ...reminders.map(({ path, state }) => this.#transition(report, path, state, observedAt, true)),
    ];
  }

  /**
   * Transitions alone never tell triage that the primary has now been fresh for the dwell time, which is
   * what an automatic failback waits for. So for channels with failback: automatic, the primary's fresh
   * state is announced again once it has lasted minDwellSeconds, and every minDwellSeconds while it lasts:
   * one event per dwell, only for those channels (triage ignores it unless the channel is on its standby).
   */
  #dwellReminderDue(changed: ReadonlyArray<{ path: ProbePath; state: 'stale' | 'fresh' }>): boolean {
    const primary = this.#debouncers.get('primary');
    if (this.channel.policy.failback !== 'automatic' || !primary) return false;
    const now = this.#now();
    if (primary.state !== 'fresh') {
      this.#primaryFreshSince = this.#primaryAnnouncedAt = null;
      return false;
    }
    this.#primaryFreshSince ??= now;
    if (changed.some((c) => c.path === 'primary')) {
      this.#primaryAnnouncedAt = now;
      return false;
    }
    const dwellMs = Math.max(1000, this.channel.policy.minDwellSeconds * 1000);
    if (now - Math.max(this.#primaryFreshSince, this.#primaryAnnouncedAt ?? 0) < dwellMs) return false;
    this.#primaryAnnouncedAt = now;
    return true;
  }

  /**
   * An outage is announced once, and triage may not act on it then (within the dwell of the last transition,
   * say). So while the primary stays stale it is announced again every staleReminderMs, each time with its
   * own observedAt (a new fact for triage, which looks again; a reminder that changes nothing is ignored).
   */
  #staleReminderDue(changed: ReadonlyArray<{ path: ProbePath; state: 'stale' | 'fresh' }>): boolean {
    const primary = this.#debouncers.get('primary');
    if (!primary || primary.state !== 'stale') {
      this.#primaryStaleAnnouncedAt = null;
      return false;
    }
    const now = this.#now();
    if (changed.some((c) => c.path === 'primary') || this.#primaryStaleAnnouncedAt === null) {
      this.#primaryStaleAnnouncedAt = now;
      return false;
    }
    if (now - this.#primaryStaleAnnouncedAt < staleReminderMs(this.channel)) return false;
    this.#primaryStaleAnnouncedAt = now;
    return true;
  }

  #transition(report: ChannelReport, path: ProbePath, state: 'stale' | 'fresh', observedAt: string, reminder = false): Transition {
    const p = report.paths[path] as PathReport;
    const staleAfter = this.channel.policy.staleAfterTargetDurations;
    const detail: ManifestTransitionDetail = {
      channelId: this.channel.id,
      path,
      state,
      ageMs: p.ageMs,
      thresholdMs: Math.round(p.thresholdMs ?? staleAfter * (p.targetDuration ?? DEFAULT_TARGET_DURATION_S) * 1000),
      consecutive: this.channel.policy.consecutive,
      observedAt,
      paths: Object.fromEntries(
        Object.entries(report.paths).map(([name, r]) => [name, { state: r.state, ageMs: r.ageMs, liveEdgeAt: r.liveEdgeAt }]),
      ),
      diagnosis: report.diagnosis.message,
      ...(reminder ? { reminder: true } : {}),
      renditions: p.renditions.map((r) => ({
        name: r.name,
        url: r.url,
        ageMs: r.ageMs,
        mediaSequence: r.mediaSequence,
        status: r.status,
        problems: r.problems.map((x) => x.code),
      })),
    };
    if (p.error) detail.renditions.push({ name: 'multivariant', url: p.url, ageMs: null, mediaSequence: null, status: 'error', problems: p.problems.map((x) => x.code) });
    return { detailType: state === 'stale' ? MANIFEST_STALE : MANIFEST_FRESH, detail };
  }
}

function verdictOf(status: RenditionStatus): Verdict {
  return status === 'fresh' ? 'fresh' : status === 'unknown' ? 'unknown' : 'stale';
}

/**
 * The view the diagnosis reads: the debounced state, or this tick's verdict while a path has not settled
 * yet (right after a cold start the edge and the origin both need `consecutive` ticks to settle).
 */
function viewOf(paths: Partial<Record<ProbePath, PathReport>>): PathView {
  const view: PathView = {};
  for (const [path, r] of Object.entries(paths) as Array<[ProbePath, PathReport]>) view[path] = r.state === 'unknown' ? r.verdict : r.state;
  return view;
}

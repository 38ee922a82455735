// Simulated players watching one channel through the edge. Each viewer reloads its rendition's playlist
// as RFC 8216 §6.3.4 says and hls.js does (computeReloadInterval): one target duration after it began loading
// a playlist that had changed, one half after one that had not; it takes the newest segment, plays from 3
// target durations behind the live edge (§6.3.3) and records its stalls. Cheap enough for 1,000 viewers on a
// small machine:
// - one shared timer wheel: viewers are spread over slots of the target duration, one timer for all;
// - viewers of the same slot watching the same rendition share one request for the playlist and one for
//   the newest segment (at a real edge they would be collapsed into one origin fetch anyway);
// - a viewer's buffer is arithmetic on the wall-clock media time of the playlist (PDT), not real media.
import HLS from 'hls-parser';
import { Agent, request } from 'undici';
import { LADDER } from './hls.js';

/** Slots per target duration in the timer wheel when the fleet names none (the drills' fleets). */
export const DEFAULT_WHEEL_SLOTS = 10;
/** How far behind the live edge a viewer plays when the fleet names no buffer (the drills' fleets), in target durations. */
export const DEFAULT_BUFFER_TARGET_DURATIONS = 3;

export interface ViewerFleetOptions {
  /** Base URL of the edge. */
  edgeUrl: string;
  /** Several edge locations: viewer i watches from location i mod n (edgeUrl is then ignored). */
  edgeUrls?: readonly string[];
  channelId: string;
  count?: number;
  /** Poll period = the stream's target duration. */
  targetDurationMs: number;
  /** Playhead distance behind the live edge at start (and after a resync), in target durations. */
  bufferTargetDurations?: number;
  /** Slots per target duration in the timer wheel (even, so that half a target duration is whole slots). */
  slots?: number;
  renditions?: readonly string[];
  now?: () => number;
}

/** One stall a viewer saw: from its buffer running dry to playback resuming (end null = still stalled). */
export interface Stall {
  viewer: number;
  startedAt: number;
  endedAt: number | null;
}

export interface FleetSnapshot {
  at: number;
  viewers: number;
  /** Started viewers whose buffer is empty. */
  stalled: number;
  /** Viewers whose newest media is the slate. */
  onSlate: number;
  meanBufferMs: number;
}

export interface FleetSummary {
  viewers: number;
  stalls: number;
  viewersStalled: number;
  longestStallMs: number;
  totalStallMs: number;
  watchMs: number;
  /** Time stalled / time watched, over every viewer. */
  rebufferRatio: number;
  manifestRequests: number;
  segmentRequests: number;
  failedRequests: number;
}

interface Viewer {
  id: number;
  /** Index of its edge location. */
  location: number;
  rendition: string;
  started: boolean;
  /** Wall-clock media time of the playhead at `at`. */
  position: number;
  at: number;
  /** Wall-clock end of the newest media this viewer has. */
  mediaEnd: number;
  stalledSince: number | null;
  onSlate: boolean;
  startedAt: number;
  openStall: Stall | null;
  /** The newest segment of the last playlist it loaded: a reload that finds the same one found it unchanged. */
  newestUri: string | null;
  /** Each time it was playing with newer media than before: when, and the end of that media (wall clock). */
  played: Array<{ at: number; mediaEnd: number }>;
}

interface PlaylistView {
  windowStart: number;
  mediaEnd: number;
  newestUri: string;
  slate: boolean;
}

export class ViewerFleet {
  readonly stalls: Stall[] = [];
  private readonly viewers: Viewer[] = [];
  private readonly agent = new Agent({ connections: 16, keepAliveTimeout: 30_000 });
  private readonly now: () => number;
  private readonly slots: number;
  private readonly bufferMs: number;
  /** Half a target duration in whole slots (rounded up: never sooner than the RFC allows). */
  private readonly retrySlots: number;
  private timer: NodeJS.Timeout | undefined;
  private tickIndex = 0;
  /** Tick index -> the viewers that reload then. A viewer is in no slot while its load is in flight. */
  private readonly due = new Map<number, Viewer[]>();
  private readonly counters = { manifestRequests: 0, segmentRequests: 0, failedRequests: 0 };
  private stoppedAt: number | null = null;
  private readonly pending = new Set<Promise<void>>();
  private readonly edgeUrls: readonly string[];

  constructor(private readonly opts: ViewerFleetOptions) {
    this.edgeUrls = opts.edgeUrls?.length ? opts.edgeUrls : [opts.edgeUrl];
    this.now = opts.now ?? Date.now;
    this.slots = opts.slots ?? DEFAULT_WHEEL_SLOTS;
    this.retrySlots = Math.ceil(this.slots / 2);
    this.bufferMs = (opts.bufferTargetDurations ?? DEFAULT_BUFFER_TARGET_DURATIONS) * opts.targetDurationMs;
    const renditions = opts.renditions ?? LADDER.map((r) => r.name);
    const count = opts.count ?? 1000;
    const t = this.now();
    for (let id = 0; id < count; id++) {
      const v: Viewer = { id, location: id % this.edgeUrls.length, rendition: renditions[id % renditions.length]!, started: false, position: 0, at: t, mediaEnd: 0, stalledSince: null, onSlate: false, startedAt: t, openStall: null, newestUri: null, played: [] };
      this.viewers.push(v);
      this.schedule(v, id % this.slots);
    }
  }

  get size(): number {
    return this.viewers.length;
  }

  /** Starts the timer wheel: every slot period, the viewers due in that slot reload their playlists. */
  start(): void {
    if (this.timer) return;
    const period = Math.max(10, Math.round(this.opts.targetDurationMs / this.slots));
    // Not awaited: a viewer still loading when the next period comes is in no slot until its load ends (tick()).
    // tick() does not reject: a failed load is counted in failedRequests and shows as a stall.
    this.timer = setInterval(() => void this.tick(), period);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.pending]);
    const now = this.now();
    for (const v of this.viewers) this.advance(v, now);
    this.stoppedAt = now;
    await this.agent.close();
  }

  /** Runs one wheel slot now (tests drive the wheel by hand). */
  async tick(): Promise<void> {
    const tick = this.tickIndex++;
    const viewers = this.due.get(tick);
    if (!viewers) return;
    this.due.delete(tick);
    const job = this.pollSlot(tick, viewers).finally(() => this.pending.delete(job));
    this.pending.add(job);
    await job;
  }

  /** Due at `tick`, or at the next tick to run if that one has passed (its load took longer than the interval). */
  private schedule(v: Viewer, tick: number): void {
    const at = Math.max(tick, this.tickIndex);
    const slot = this.due.get(at);
    if (slot) slot.push(v);
    else this.due.set(at, [v]);
  }

  snapshot(now = this.now()): FleetSnapshot {
    let stalled = 0;
    let onSlate = 0;
    let started = 0;
    let buffer = 0;
    for (const v of this.viewers) {
      if (!v.started) continue;
      started++;
      this.advance(v, now);
      if (v.stalledSince !== null) stalled++;
      if (v.onSlate) onSlate++;
      buffer += v.mediaEnd - v.position;
    }
    return { at: now, viewers: this.viewers.length, stalled, onSlate, meanBufferMs: started ? buffer / started : 0 };
  }

  /**
   * For each viewer that was watching media ending at or before `frozenMediaEndMs` (the dead side of a freeze):
   * when it first played media past that end again (epoch ms), or null if it never did. The viewer-side
   * "back on fresh manifests": it has the playlist and its newest segment, and plays (not stalled, not the slate).
   */
  backOnFreshMedia(frozenMediaEndMs: number): Array<number | null> {
    const out: Array<number | null> = [];
    for (const v of this.viewers) {
      const first = v.played[0];
      if (!first || first.mediaEnd > frozenMediaEndMs) continue;
      out.push(v.played.find((p) => p.mediaEnd > frozenMediaEndMs)?.at ?? null);
    }
    return out;
  }

  /** True once every viewer has loaded the stream at least once. */
  get allStarted(): boolean {
    return this.viewers.every((v) => v.started);
  }

  summary(now = this.stoppedAt ?? this.now()): FleetSummary {
    let longest = 0;
    let total = 0;
    let watch = 0;
    const stalledViewers = new Set<number>();
    for (const s of this.stalls) {
      const ms = (s.endedAt ?? now) - s.startedAt;
      longest = Math.max(longest, ms);
      total += ms;
      stalledViewers.add(s.viewer);
    }
    for (const v of this.viewers) if (v.started) watch += now - v.startedAt;
    return {
      viewers: this.viewers.length,
      stalls: this.stalls.length,
      viewersStalled: stalledViewers.size,
      longestStallMs: longest,
      totalStallMs: total,
      watchMs: watch,
      rebufferRatio: watch > 0 ? total / watch : 0,
      ...this.counters,
    };
  }

  private async pollSlot(tick: number, due: readonly Viewer[]): Promise<void> {
    const groups = new Map<string, Viewer[]>();
    for (const v of due) {
      const key = `${v.location}|${v.rendition}`;
      const group = groups.get(key);
      if (group) group.push(v);
      else groups.set(key, [v]);
    }
    await Promise.all([...groups.values()].map((viewers) => this.pollRendition(tick, viewers[0]!.location, viewers[0]!.rendition, viewers)));
  }

  private async pollRendition(tick: number, location: number, rendition: string, viewers: Viewer[]): Promise<void> {
    const url = `${this.edgeUrls[location]}/live/${this.opts.channelId}/${rendition}.m3u8`;
    const view = await this.loadPlaylist(url);
    // The player needs the newest segment before that media counts as buffered.
    const segmentOk = view ? await this.loadSegment(new URL(view.newestUri, url).href) : false;
    const now = this.now();
    for (const v of viewers) {
      this.advance(v, now);
      // A failed load found nothing new, but is not the "unchanged" playlist of §6.3.4: the next try a TD later.
      const unchanged = view !== null && segmentOk && view.newestUri === v.newestUri;
      if (view && segmentOk) this.receive(v, view, now);
      this.schedule(v, tick + (unchanged ? this.retrySlots : this.slots));
    }
  }

  private async loadPlaylist(url: string): Promise<PlaylistView | null> {
    this.counters.manifestRequests++;
    try {
      const res = await request(url, { dispatcher: this.agent, headersTimeout: 2000, bodyTimeout: 2000 });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        this.counters.failedRequests++;
        return null;
      }
      const playlist = HLS.parse(text);
      if (playlist.isMasterPlaylist) return null;
      const segments = playlist.segments;
      const first = segments[0];
      const last = segments.at(-1);
      if (!first?.programDateTime || !last?.programDateTime) return null;
      return {
        windowStart: first.programDateTime.getTime(),
        mediaEnd: last.programDateTime.getTime() + last.duration * 1000,
        newestUri: last.uri,
        slate: last.uri.includes('slate'),
      };
    } catch {
      this.counters.failedRequests++;
      return null;
    }
  }

  private async loadSegment(url: string): Promise<boolean> {
    this.counters.segmentRequests++;
    try {
      const res = await request(url, { dispatcher: this.agent, headersTimeout: 2000, bodyTimeout: 2000 });
      await res.body.dump();
      if (res.statusCode === 200) return true;
    } catch {
      // counted below
    }
    this.counters.failedRequests++;
    return false;
  }

  /** Plays the buffer down to `now`; the moment it runs dry is the start of a stall. */
  private advance(v: Viewer, now: number): void {
    if (!v.started || now <= v.at) return;
    if (v.stalledSince === null) {
      const dryAt = v.at + (v.mediaEnd - v.position);
      if (dryAt <= now) {
        v.position = v.mediaEnd;
        v.stalledSince = Math.max(v.at, dryAt);
        v.openStall = { viewer: v.id, startedAt: v.stalledSince, endedAt: null };
        this.stalls.push(v.openStall);
      } else {
        v.position += now - v.at;
      }
    }
    v.at = now;
  }

  private receive(v: Viewer, view: PlaylistView, now: number): void {
    v.newestUri = view.newestUri;
    if (!v.started) {
      v.started = true;
      v.startedAt = now;
      v.at = now;
      v.mediaEnd = view.mediaEnd;
      v.position = view.mediaEnd - this.bufferMs;
      v.onSlate = view.slate;
      if (!view.slate) v.played.push({ at: now, mediaEnd: v.mediaEnd });
      return;
    }
    v.onSlate = view.slate;
    v.mediaEnd = Math.max(v.mediaEnd, view.mediaEnd);
    // The playhead's media left the window (a long freeze, the slate, a new timeline): resync near live.
    if (v.position < view.windowStart) {
      v.position = Math.max(view.windowStart, view.mediaEnd - this.bufferMs);
      v.mediaEnd = view.mediaEnd;
    }
    // Resume once at least one target duration is buffered again.
    if (v.stalledSince !== null && v.mediaEnd - v.position >= this.opts.targetDurationMs) {
      if (v.openStall) v.openStall.endedAt = now;
      v.openStall = null;
      v.stalledSince = null;
    }
    const last = v.played.at(-1);
    // The slate is not the channel: a viewer on it is not back.
    if (v.stalledSince === null && !view.slate && (!last || v.mediaEnd > last.mediaEnd)) v.played.push({ at: now, mediaEnd: v.mediaEnd });
  }
}

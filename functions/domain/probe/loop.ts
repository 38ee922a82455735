// The probe loop over the channels of a shard, through one fetcher (shared keep-alive connections, one FIFO
// concurrency limit, per-request deadlines). The Lambda and the drill sandbox run this same loop; state lives in
// the loop object, so it survives across ticks (and, in the Lambda, across warm invocations).
//
// Schedule 'deadline' (the default): every rendition is fetched when it is due (see path-probe.ts), each fetch in
// flight on its own. A tick only starts what is due and reports what came back since the last one: it never
// waits for a fetch, so one slow response delays no other deadline. A result is debounced, published and
// followed up (an origin's confirming re-fetch, the renditions of a new ladder) the moment it is back; start()
// wakes at the next deadline (at most every tickMs, at least MIN_TICK_GAP_MS apart), earlier when a result
// brings a deadline forward. Schedule 'sweep': every rendition of every channel on every tick, every tickMs, a
// tick waiting for all its fetches.
import type { ProbePath } from '../contracts.js';
import type { Registry } from '../registry/index.js';
import { ChannelProbe, type ChannelReport, type Transition } from './channel-probe.js';
import { DueQueue } from './due-queue.js';
import { createFetcher, type Fetcher, type FetcherOptions } from './fetcher.js';
import type { ProbeSchedule } from './path-probe.js';
import { inShard, WHOLE_FLEET, type Shard } from './shard.js';

export type Publish = (transitions: Transition[]) => Promise<void>;

export interface ProbeLoopOptions {
  registry: Registry;
  /** Sweep: time between the starts of two ticks; deadline: the longest wait between two ticks. Default 2000 ms. */
  tickMs?: number;
  /** 'deadline' (default): each rendition when due, in flight on its own; 'sweep': everything every tick. */
  schedule?: ProbeSchedule;
  /** Receives the transitions of one channel (called only when there are some). A throw keeps them for the next tick. */
  publish: Publish;
  now?: () => number;
  shard?: Shard;
  paths?: readonly ProbePath[];
  /** A fetcher to share (closed by the owner), or options for the loop's own fetcher. */
  fetcher?: Fetcher;
  fetcherOptions?: FetcherOptions;
  ladderRefreshTicks?: number;
  /** Announce paths settling into fresh after the loop starts (default: only stale -> fresh is news). */
  announceInitialFresh?: boolean;
  /** Called after every tick run by start(). */
  onTick?: (report: TickReport) => void;
  /** Called when a channel's probe or the publisher throws (a bug or an outage of the bus): the loop goes on. */
  onError?: (err: unknown, context: { channelId?: string; stage: 'probe' | 'publish' }) => void;
}

export interface TickReport {
  tick: number;
  /** Epoch ms (the loop's clock) when the tick started. */
  at: number;
  /** Wall time the tick took, ms (deadline: starting the due fetches and reporting, never waiting for one). */
  durationMs: number;
  /** Every channel; deadline: a path is `observed` when a fetch of it came back since the previous report. */
  channels: ChannelReport[];
  /** Transitions since the previous report (plus any retried from a failed publish). */
  transitions: Transition[];
  /** Every publish since the previous report went through (deadline: those already settled). */
  published: boolean;
  fetches: number;
  fetchErrors: number;
}

/** Deadline schedule: the shortest wait between two ticks, so that deadlines falling close together share a tick. */
export const MIN_TICK_GAP_MS = 25;

export interface ProbeLoop {
  readonly tickMs: number;
  readonly schedule: ProbeSchedule;
  /** Ms until the next tick has something to fetch (sweep: the tick interval). */
  nextDueIn(): number;
  readonly channelIds: readonly string[];
  /** Sweep: fetches everything and waits for it. Deadline: starts what is due, reports what came back, never waits. */
  tick(): Promise<TickReport>;
  /** Waits until no fetch or publish is in flight (follow-ups included), then reports what came back. */
  settled(): Promise<TickReport>;
  /**
   * Sleeps until the next tick is due: sweep, tickMs after the last tick started; deadline, the next deadline
   * (at most tickMs, at least MIN_TICK_GAP_MS after the last tick), earlier when a result brings one forward.
   * stop() ends it at once.
   */
  untilNextTick(): Promise<void>;
  /** Runs ticks until stop(); a sweep tick that overruns delays the next one, never overlaps it. */
  start(): void;
  /** Stops start(); resolves once nothing is in flight any more. */
  stop(): Promise<void>;
  readonly running: boolean;
  readonly lastReport: TickReport | undefined;
  /** Stops and closes the loop's own fetcher. */
  close(): Promise<void>;
}

export function createProbeLoop(options: ProbeLoopOptions): ProbeLoop {
  const now = options.now ?? Date.now;
  const tickMs = options.tickMs ?? 2000;
  const schedule = options.schedule ?? 'deadline';
  const fetcher = options.fetcher ?? createFetcher(options.fetcherOptions);
  const channels = inShard(options.registry.channels, options.shard ?? WHOLE_FLEET);
  const probes = channels.map(
    (channel) =>
      new ChannelProbe(channel, {
        fetcher,
        now,
        ...(options.paths ? { paths: options.paths } : {}),
        ...(options.ladderRefreshTicks === undefined ? {} : { ladderRefreshTicks: options.ladderRefreshTicks }),
        announceInitialFresh: options.announceInitialFresh ?? false,
        schedule,
      }),
  );
  const byId = new Map(probes.map((p) => [p.channel.id, p]));
  let ticks = 0;
  let unpublished: Transition[] = [];
  let lastReport: TickReport | undefined;
  let running = false;
  let loopDone: Promise<void> | undefined;

  // Deadline schedule: when each channel is due next, so that a tick costs what is due, not a scan of the fleet.
  // Rescheduled whenever its due time can move: after a dispatch and after each of its fetches is back.
  const due = new DueQueue<ChannelProbe>();
  for (const probe of probes) due.schedule(probe, Number.NEGATIVE_INFINITY);
  const reschedule = (probe: ChannelProbe, at: number): void => {
    const inMs = probe.dueIn(at);
    if (Number.isFinite(inMs)) due.schedule(probe, at + inMs);
  };

  // Deadline schedule: what is in flight, and what came back since the last report.
  const inFlight = new Set<Promise<void>>();
  let transitionsSince: Transition[] = [];
  let publishedSince = true;

  // start()'s sleep between two ticks, which a result can bring forward.
  let sleeping: { until: number; timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined;
  let lastTickAt = Number.NEGATIVE_INFINITY;
  let stopping = false;

  /** Publishes; on failure keeps the transitions for a retry on the next tick. */
  async function publishOrKeep(transitions: Transition[]): Promise<boolean> {
    if (transitions.length === 0) return true;
    try {
      await options.publish(transitions);
      return true;
    } catch (err) {
      unpublished.push(...transitions);
      options.onError?.(err, { stage: 'publish' });
      return false;
    }
  }

  /** The transitions that failed to publish so far (a failure from now on is kept for the next tick). */
  function takeUnpublished(): Transition[] {
    const earlier = unpublished;
    unpublished = [];
    return earlier;
  }

  /** A transition that failed to publish earlier is retried while its path is still in that state. */
  const retries = (earlier: readonly Transition[], fresh: readonly Transition[]): Transition[] =>
    earlier.filter((t) => byId.get(t.detail.channelId)?.states()[t.detail.path] === t.detail.state && !fresh.some((f) => sameKey(f, t)));

  function track(work: Promise<unknown>, channelId?: string): void {
    const p = work.then(
      () => undefined,
      (err: unknown) => options.onError?.(err, { ...(channelId ? { channelId } : {}), stage: 'probe' }),
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  function publishTracked(transitions: Transition[]): void {
    if (transitions.length === 0) return;
    transitionsSince.push(...transitions);
    track(
      publishOrKeep(transitions).then((ok) => {
        if (!ok) publishedSince = false;
      }),
    );
  }

  /** Deadline: starts the channel's due fetches; each result is published and followed up at once. */
  function dispatch(probe: ChannelProbe, at: number): void {
    const onResult = (transitions: Transition[]): void => {
      publishTracked(transitions);
      if (stopping) return; // stop() waits for what is in flight, and starts nothing more
      const t = now();
      const dueIn = probe.dueIn(t);
      if (dueIn === 0) return dispatch(probe, t);
      reschedule(probe, t);
      if (sleeping && t + dueIn < sleeping.until) wakeAt(t + dueIn);
    };
    // Whatever a fetch did (even a throw), the channel is due again once it is back.
    for (const work of probe.dispatch(onResult, at)) track(work.finally(() => reschedule(probe, now())), probe.channel.id);
    reschedule(probe, at);
  }

  function report(at: number, started: number): TickReport {
    const channelReports = probes.map((p) => p.report());
    const { fetches, fetchErrors } = fetchCounts(channelReports);
    const transitions = transitionsSince;
    const published = publishedSince;
    transitionsSince = [];
    publishedSince = true;
    lastReport = { tick: ++ticks, at, durationMs: performance.now() - started, channels: channelReports, transitions, published, fetches, fetchErrors };
    return lastReport;
  }

  async function deadlineTick(): Promise<TickReport> {
    const at = now();
    const started = performance.now();
    lastTickAt = started;
    publishTracked(retries(takeUnpublished(), []));
    for (const probe of due.takeDue(at)) {
      if (probe.dueIn(at) === 0) dispatch(probe, at);
      else reschedule(probe, at); // its time moved on since it was queued
    }
    return report(at, started);
  }

  async function sweepTick(): Promise<TickReport> {
    const at = now();
    const started = performance.now();
    lastTickAt = started;
    const earlier = takeUnpublished();
    let published = true;
    // Each channel publishes its transitions as soon as its own probe is done, not at the end of the sweep:
    // the event is late by that channel's fetches only, never by the slowest channel of the fleet.
    const results = await Promise.all(
      probes.map(async (probe) => {
        let result: { report: ChannelReport; transitions: Transition[] };
        try {
          result = await probe.tick();
        } catch (err) {
          options.onError?.(err, { channelId: probe.channel.id, stage: 'probe' });
          const report: ChannelReport = {
            channelId: probe.channel.id,
            paths: {},
            diagnosis: { code: 'unknown', message: `probe failed: ${(err as Error).message}` },
          };
          return { report, transitions: [] as Transition[] };
        }
        if (!(await publishOrKeep(result.transitions))) published = false;
        return result;
      }),
    );
    const fresh = results.flatMap((r) => r.transitions);
    const retry = retries(earlier, fresh);
    if (!(await publishOrKeep(retry))) published = false;
    const channelReports = results.map((r) => r.report);
    const { fetches, fetchErrors } = fetchCounts(channelReports);
    const transitions = [...retry, ...fresh];
    lastReport = { tick: ++ticks, at, durationMs: performance.now() - started, channels: channelReports, transitions, published, fetches, fetchErrors };
    return lastReport;
  }

  const tick = (): Promise<TickReport> => (schedule === 'sweep' ? sweepTick() : deadlineTick());

  async function settled(): Promise<TickReport> {
    const started = performance.now();
    while (inFlight.size > 0) await Promise.all(inFlight);
    // A sweep tick leaves nothing in flight: nothing new to report.
    if (schedule === 'sweep')
      return { tick: ticks, at: now(), durationMs: 0, channels: lastReport?.channels ?? [], transitions: [], published: true, fetches: 0, fetchErrors: 0 };
    return report(now(), started);
  }

  function wakeAt(until: number): void {
    if (!sleeping) return;
    const { resolve } = sleeping;
    clearTimeout(sleeping.timer);
    const ms = Math.max(0, until - now(), lastTickAt + MIN_TICK_GAP_MS - performance.now());
    sleeping = { until, resolve, timer: setTimeout(resolve, ms) };
  }

  async function untilNextTick(): Promise<void> {
    const wait =
      schedule === 'sweep' ? tickMs - (performance.now() - lastTickAt) : Math.min(tickMs, Math.max(MIN_TICK_GAP_MS - (performance.now() - lastTickAt), nextDueIn()));
    if (wait <= 0 || stopping) return;
    await new Promise<void>((resolve) => {
      sleeping = { until: now() + wait, resolve, timer: setTimeout(resolve, wait) };
    });
    sleeping = undefined;
  }

  async function runUntilStopped(): Promise<void> {
    while (running) {
      const tickReport = await tick();
      try {
        options.onTick?.(tickReport);
      } catch (err) {
        options.onError?.(err, { stage: 'probe' });
      }
      if (running) await untilNextTick();
    }
  }

  /** The queue's earliest time (possibly one that moved later since: the tick it wakes then finds that out). */
  function nextDueIn(): number {
    return Math.min(Math.max(0, due.peek() - now()), tickMs);
  }

  const loop: ProbeLoop = {
    tickMs,
    schedule,
    nextDueIn: () => (schedule === 'sweep' ? tickMs : nextDueIn()),
    channelIds: channels.map((c) => c.id),
    tick,
    settled,
    untilNextTick,
    start() {
      if (running) return;
      running = true;
      stopping = false;
      loopDone = runUntilStopped().finally(() => {
        running = false;
      });
    },
    async stop() {
      running = false;
      stopping = true;
      if (sleeping) {
        clearTimeout(sleeping.timer);
        sleeping.resolve();
      }
      await loopDone;
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    get running() {
      return running;
    },
    get lastReport() {
      return lastReport;
    },
    async close() {
      await loop.stop();
      if (!options.fetcher) await fetcher.close();
    },
  };
  return loop;
}

/** The fetches (and failed ones) of every path of these channels since their last report. */
function fetchCounts(channels: readonly ChannelReport[]): { fetches: number; fetchErrors: number } {
  let fetches = 0;
  let fetchErrors = 0;
  for (const c of channels)
    for (const p of Object.values(c.paths)) {
      fetches += p.fetches;
      fetchErrors += p.fetchErrors;
    }
  return { fetches, fetchErrors };
}

function sameKey(a: Transition, b: Transition): boolean {
  return a.detail.channelId === b.detail.channelId && a.detail.path === b.detail.path;
}

// The probe loop: every tick, a pass over every channel of the shard, concurrently, through one fetcher
// (shared keep-alive connections, one concurrency limit, per-request deadlines, so one slow or broken
// channel never holds up the others); each channel's transitions go to `publish` as soon as it is done. The Lambda and the
// drill sandbox run this same loop; state lives in the loop object, so it survives across ticks (and,
// in the Lambda, across warm invocations).
//
// Schedule 'deadline' (the default): a tick fetches only the renditions that are due (see path-probe.ts), so
// ticks are cheap and run often: start() (and the Lambda) wake for the next due fetch (nextDueIn()), at least
// every tickMs. Schedule 'sweep': every rendition of every channel on every tick, every tickMs.
import type { ProbePath } from '../contracts.js';
import type { Registry } from '../registry/index.js';
import { ChannelProbe, type ChannelReport, type Transition } from './channel-probe.js';
import { createFetcher, type Fetcher, type FetcherOptions } from './fetcher.js';
import type { ProbeSchedule } from './path-probe.js';
import { inShard, WHOLE_FLEET, type Shard } from './shard.js';

export type Publish = (transitions: Transition[]) => Promise<void>;

export interface ProbeLoopOptions {
  registry: Registry;
  /** Sweep: time between the starts of two ticks; deadline: the longest wait between two ticks. Default 2000 ms. */
  tickMs?: number;
  /** 'deadline' (default): each rendition when due, stale confirmed at once; 'sweep': everything every tick. */
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
  /** Wall time the sweep took, ms. */
  durationMs: number;
  channels: ChannelReport[];
  /** Transitions detected in this tick (plus any retried from a failed publish). */
  transitions: Transition[];
  published: boolean;
  fetches: number;
  fetchErrors: number;
}

/** Deadline schedule: the shortest wait between two ticks, so that fetches falling due together share a tick. */
export const MIN_TICK_GAP_MS = 25;

export interface ProbeLoop {
  readonly tickMs: number;
  readonly schedule: ProbeSchedule;
  /** Ms until the next tick has something to fetch (sweep: the tick interval). */
  nextDueIn(): number;
  readonly channelIds: readonly string[];
  tick(): Promise<TickReport>;
  /** Runs ticks every tickMs until stop(); a tick that overruns delays the next one, never overlaps it. */
  start(): void;
  /** Stops start(); resolves once the tick in flight (if any) is done. */
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
  let inFlight: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  /** Publishes; on failure keeps the transitions for a retry on the next tick. */
  async function publishOrKeep(transitions: Transition[], failed: Transition[]): Promise<boolean> {
    if (transitions.length === 0) return true;
    try {
      await options.publish(transitions);
      return true;
    } catch (err) {
      failed.push(...transitions);
      options.onError?.(err, { stage: 'publish' });
      return false;
    }
  }

  async function tick(): Promise<TickReport> {
    const at = now();
    const started = performance.now();
    const failed: Transition[] = [];
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
        if (!(await publishOrKeep(result.transitions, failed))) published = false;
        return result;
      }),
    );
    const fresh = results.flatMap((r) => r.transitions);
    // A transition that failed to publish earlier is retried while its path is still in that state.
    const retry = unpublished.filter(
      (t) => byId.get(t.detail.channelId)?.states()[t.detail.path] === t.detail.state && !fresh.some((f) => sameKey(f, t)),
    );
    if (!(await publishOrKeep(retry, failed))) published = false;
    unpublished = failed;
    const channelReports = results.map((r) => r.report);
    let fetches = 0;
    let fetchErrors = 0;
    for (const c of channelReports)
      for (const p of Object.values(c.paths)) {
        fetches += p.fetches;
        fetchErrors += p.fetchErrors;
      }
    const transitions = [...retry, ...fresh];
    lastReport = { tick: ++ticks, at, durationMs: performance.now() - started, channels: channelReports, transitions, published, fetches, fetchErrors };
    return lastReport;
  }

  async function runUntilStopped(): Promise<void> {
    while (running) {
      const started = performance.now();
      const report = await tick();
      try {
        options.onTick?.(report);
      } catch (err) {
        options.onError?.(err, { stage: 'probe' });
      }
      const wait = schedule === 'sweep' ? tickMs - (performance.now() - started) : Math.min(tickMs, Math.max(MIN_TICK_GAP_MS, nextDueIn()));
      if (running && wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  }

  function nextDueIn(): number {
    const at = now();
    let next = Number.POSITIVE_INFINITY;
    for (const p of probes) next = Math.min(next, p.dueIn(at));
    return Math.min(next, tickMs);
  }

  const loop: ProbeLoop = {
    tickMs,
    schedule,
    nextDueIn: () => (schedule === 'sweep' ? tickMs : nextDueIn()),
    channelIds: channels.map((c) => c.id),
    tick,
    start() {
      if (running) return;
      running = true;
      inFlight = runUntilStopped().finally(() => {
        running = false;
      });
    },
    async stop() {
      running = false;
      wake?.();
      await inFlight;
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

function sameKey(a: Transition, b: Transition): boolean {
  return a.detail.channelId === b.detail.channelId && a.detail.path === b.detail.path;
}

// The setup the probe tests share: a real loopback live origin on a fake clock, one fetcher for the file, a
// fresh run number per test (stream and channel names never repeat, so faults never leak between tests), and
// the clock reset to T0 before each test. Registers its own vitest hooks: call it once at the top of a file.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createFetcher, type Fetcher, type ProbeLoop } from '../../functions/domain/probe/index.js';
import { LiveOrigin } from '../../sandbox/testkit/live-origin.js';

export interface LiveRig {
  readonly origin: LiveOrigin;
  /** The file's fetcher (set in beforeAll). */
  readonly fetcher: Fetcher;
  /** Fake time, epoch ms: the origin's and the probe's clock; reset to t0 before each test. */
  t: number;
  readonly t0: number;
  readonly clock: () => number;
  /** 1, 2, ... one per test. */
  readonly run: number;
  /** Names unique to this test: `${name}-${run}`. */
  names(...names: string[]): string[];
}

export function liveRig(options: { t0: string; segmentS: number; cacheControl?: string }): LiveRig {
  const t0 = Date.parse(options.t0);
  let fetcher: Fetcher | undefined;
  let run = 0;
  const rig: LiveRig = {
    origin: new LiveOrigin({ clock: () => rig.t, segmentS: options.segmentS, ...(options.cacheControl ? { cacheControl: options.cacheControl } : {}) }),
    get fetcher() {
      if (!fetcher) throw new Error('liveRig: the fetcher exists once beforeAll ran');
      return fetcher;
    },
    t: t0,
    t0,
    clock: () => rig.t,
    get run() {
      return run;
    },
    names: (...names) => names.map((n) => `${n}-${run}`),
  };
  beforeAll(async () => {
    await rig.origin.start();
    // Generous: a healthy answer must never time out on a loaded machine; a hung one costs this much.
    fetcher = createFetcher({ timeoutMs: 1000 });
  });
  afterAll(async () => {
    await fetcher?.close();
    await rig.origin.close();
  });
  beforeEach(() => {
    rig.t = t0;
    run++;
  });
  return rig;
}

/**
 * One step of a loop on a fake clock: a tick, then everything it started (confirmations and other follow-ups
 * included) settled, so the step's results are all in. Returns the fetches that came back.
 */
export async function step(loop: ProbeLoop): Promise<number> {
  const ticked = await loop.tick();
  if (loop.schedule === 'sweep') return ticked.fetches;
  return ticked.fetches + (await loop.settled()).fetches;
}

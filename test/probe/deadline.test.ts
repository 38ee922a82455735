// The deadline schedule (the probe loop's default) over a loopback origin on a fake clock, stepped 100 ms at a
// time: a freeze of ONE rendition is caught within a step or two of its deadline (newest media end +
// staleAfter x target duration) plus the confirming fetches; segments up to half a target duration late never
// make a path stale; and the fleet is fetched less than by a sweep.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_STALE } from '../../functions/domain/contracts.js';
import { createFetcher, createProbeLoop, type Fetcher, type ProbeSchedule, type Transition } from '../../functions/domain/probe/index.js';
import { fleet } from '../../sandbox/testkit/fleet.js';
import { LiveOrigin } from '../../sandbox/testkit/live-origin.js';

const SEGMENT_S = 2;
const STEP_MS = 100;
const T0 = Date.parse('2025-03-01T12:00:00.300Z');
let t = T0;
const clock = (): number => t;
const origin = new LiveOrigin({ clock, segmentS: SEGMENT_S });
let fetcher: Fetcher;
let run = 0;
let ids: string[] = [];

beforeAll(async () => {
  await origin.start();
  fetcher = createFetcher({ timeoutMs: 1000 });
});
afterAll(async () => {
  await fetcher.close();
  await origin.close();
});
beforeEach(() => {
  t = T0;
  run++;
  ids = ['news', 'sports'].map((n) => `${n}-${run}`);
});

function loopOf(published: Transition[], schedule: ProbeSchedule = 'deadline', consecutive = 2) {
  return createProbeLoop({
    schedule,
    registry: fleet(origin.base, ids, { consecutive }),
    now: clock,
    fetcher,
    publish: async (ts) => void published.push(...ts),
  });
}

/** Ticks the loop every stepMs of fake time for durationMs; returns the fetches made. */
async function runFor(loop: ReturnType<typeof loopOf>, durationMs: number, stepMs = STEP_MS, until?: () => boolean): Promise<number> {
  let fetches = 0;
  for (const end = t + durationMs; t < end && !until?.(); t += stepMs) fetches += (await loop.tick()).fetches;
  return fetches;
}

describe('deadline schedule', () => {
  it('catches a freeze of one rendition of one path right after its deadline, confirmed by `consecutive` fetches', async () => {
    const published: Transition[] = [];
    const loop = loopOf(published);
    await runFor(loop, 10_000);
    expect(published).toEqual([]);

    const [news] = ids as [string];
    const stallAt = t;
    origin.set(`${news}/primary`, { stallAt }, '540p');
    const newestEnd = Math.floor(stallAt / (SEGMENT_S * 1000)) * SEGMENT_S * 1000;
    await runFor(loop, 10_000, STEP_MS, () => published.length > 0);

    expect(published.map((p) => `${p.detailType} ${p.detail.channelId}/${p.detail.path}`)).toEqual([`${MANIFEST_STALE} ${news}/primary`]);
    const detail = (published[0] as Transition).detail;
    expect(detail.consecutive).toBe(2);
    expect(detail.renditions.filter((r) => r.status === 'stale').map((r) => r.url.split('/').pop())).toEqual(['540p.m3u8']);
    // Due at newest end + 1.5 x 2 s; the first stale fetch within one step of it, then two confirming fetches,
    // one step each (an origin: a plain new request at the next tick).
    const latency = Date.parse(detail.observedAt) - newestEnd;
    expect(latency).toBeGreaterThan(3000);
    expect(latency).toBeLessThanOrEqual(3000 + 3 * STEP_MS);
  });

  it('confirms on the edge only after the cached copy expired (max-age=1)', async () => {
    const published: Transition[] = [];
    const loop = loopOf(published, 'deadline', 1);
    await runFor(loop, 6000);
    const [news] = ids as [string];
    const stallAt = t;
    origin.set(`${news}/edge`, { stallAt });
    const newestEnd = Math.floor(stallAt / (SEGMENT_S * 1000)) * SEGMENT_S * 1000;
    await runFor(loop, 10_000, STEP_MS, () => published.length > 0);
    expect(published.map((p) => `${p.detail.channelId}/${p.detail.path}`)).toEqual([`${news}/edge`]);
    const latency = Date.parse((published[0] as Transition).detail.observedAt) - newestEnd;
    // first stale fetch just after 3 s, its confirmation one max-age (1 s) later
    expect(latency).toBeGreaterThanOrEqual(4000);
    expect(latency).toBeLessThanOrEqual(4000 + 2 * STEP_MS);
  });

  it('never calls a path stale when segments appear up to half a target duration late', async () => {
    const published: Transition[] = [];
    for (const id of ids) for (const path of ['edge', 'primary', 'standby']) origin.set(`${id}/${path}`, { jitter: 0.5 });
    const loop = loopOf(published);
    await runFor(loop, 120_000);
    expect(published).toEqual([]);
    const report = loop.lastReport;
    expect(report?.channels.every((c) => Object.values(c.paths).every((p) => p.state === 'fresh'))).toBe(true);
  });

  // At a 2 s tick (= the target duration) a sweep fetches about as often: one fetch per target duration is what
  // learning every segment costs. The sweep needs a 1 s tick to come near the deadline schedule's detection.
  it('fetches less than a sweep at the tick the sweep needs to come close (1 s)', async () => {
    const deadline = await runFor(loopOf([]), 60_000);
    t = T0;
    ids = ids.map((id) => `${id}-sweep`);
    const sweep = await runFor(loopOf([], 'sweep'), 60_000, 1000);
    expect(deadline).toBeLessThan(sweep);
  });
});

// The deadline schedule (the probe loop's default) over a loopback origin. On a fake clock, stepped 100 ms at a
// time: a freeze of ONE rendition is caught within a step of its deadline (newest media end + staleAfter x
// target duration), confirmed on an origin at once and on the edge after its cache TTL; segments up to half a
// target duration late never make a path stale; the fleet is fetched less than by a sweep. And fetches in
// flight are independent: a tick never waits for one, and on the real clock a hung rendition holds up no other
// rendition's deadline fetches, not even on its own path.
import { describe, expect, it } from 'vitest';
import { MANIFEST_STALE } from '../../functions/domain/contracts.js';
import { createFetcher, createProbeLoop, type ProbeSchedule, type Transition } from '../../functions/domain/probe/index.js';
import { fleet } from '../../sandbox/testkit/fleet.js';
import { LiveOrigin } from '../../sandbox/testkit/live-origin.js';
import { liveRig, step } from './live-rig.js';

const SEGMENT_S = 2;
const STEP_MS = 100;
const rig = liveRig({ t0: '2025-03-01T12:00:00.300Z', segmentS: SEGMENT_S });
const { origin, clock } = rig;

function loopOf(ids: string[], published: Transition[], schedule: ProbeSchedule = 'deadline', consecutive = 2) {
  return createProbeLoop({
    schedule,
    registry: fleet(origin.base, ids, { consecutive }),
    now: clock,
    fetcher: rig.fetcher,
    publish: async (ts) => void published.push(...ts),
  });
}

/** Steps the loop every stepMs of fake time for durationMs; returns the fetches made. */
async function runFor(loop: ReturnType<typeof loopOf>, durationMs: number, stepMs = STEP_MS, until?: () => boolean): Promise<number> {
  let fetches = 0;
  for (const end = rig.t + durationMs; rig.t < end && !until?.(); rig.t += stepMs) fetches += await step(loop);
  return fetches;
}

const newestEndAt = (at: number): number => Math.floor(at / (SEGMENT_S * 1000)) * SEGMENT_S * 1000;

describe('deadline schedule', () => {
  it('catches a freeze of one rendition of one path right after its deadline, confirmed at once by `consecutive` fetches of it', async () => {
    const ids = rig.names('news', 'sports');
    const published: Transition[] = [];
    const loop = loopOf(ids, published);
    await runFor(loop, 10_000);
    expect(published).toEqual([]);

    const [news] = ids as [string];
    const stallAt = rig.t;
    origin.set(`${news}/primary`, { stallAt }, '540p');
    const frozen = `/${news}/primary/540p.m3u8`;
    const newestEnd = newestEndAt(stallAt);
    let hitsAtFirstStale = 0;
    await runFor(loop, 10_000, STEP_MS, () => {
      // The step before the transition: what the frozen rendition had been fetched so far.
      if (published.length === 0) hitsAtFirstStale = origin.hits.get(frozen) ?? 0;
      return published.length > 0;
    });

    expect(published.map((p) => `${p.detailType} ${p.detail.channelId}/${p.detail.path}`)).toEqual([`${MANIFEST_STALE} ${news}/primary`]);
    const detail = (published[0] as Transition).detail;
    expect(detail.consecutive).toBe(2);
    expect(detail.renditions.filter((r) => r.status === 'stale').map((r) => r.url.split('/').pop())).toEqual(['540p.m3u8']);
    // The first stale fetch and its two confirmations all in the step after the deadline (an origin: a plain
    // new request as soon as the previous one is back).
    expect((origin.hits.get(frozen) ?? 0) - hitsAtFirstStale).toBeGreaterThanOrEqual(3);
    const latency = Date.parse(detail.observedAt) - newestEnd;
    expect(latency).toBeGreaterThan(3000);
    expect(latency).toBeLessThanOrEqual(3000 + 2 * STEP_MS);
  });

  it('confirms on the edge only after the cached copy expired (max-age=1)', async () => {
    const ids = rig.names('news', 'sports');
    const published: Transition[] = [];
    const loop = loopOf(ids, published, 'deadline', 1);
    await runFor(loop, 6000);
    const [news] = ids as [string];
    const stallAt = rig.t;
    origin.set(`${news}/edge`, { stallAt });
    await runFor(loop, 10_000, STEP_MS, () => published.length > 0);
    expect(published.map((p) => `${p.detail.channelId}/${p.detail.path}`)).toEqual([`${news}/edge`]);
    const latency = Date.parse((published[0] as Transition).detail.observedAt) - newestEndAt(stallAt);
    // first stale fetch just after 3 s, its confirmation one max-age (1 s) later
    expect(latency).toBeGreaterThanOrEqual(4000);
    expect(latency).toBeLessThanOrEqual(4000 + 2 * STEP_MS);
  });

  it('never calls a path stale when segments appear up to half a target duration late', async () => {
    const ids = rig.names('news', 'sports');
    const published: Transition[] = [];
    for (const id of ids) for (const path of ['edge', 'primary', 'standby']) origin.set(`${id}/${path}`, { jitter: 0.5 });
    const loop = loopOf(ids, published);
    await runFor(loop, 120_000);
    expect(published).toEqual([]);
    const report = loop.lastReport;
    expect(report?.channels.every((c) => Object.values(c.paths).every((p) => p.state === 'fresh'))).toBe(true);
  });

  // At a 2 s tick (= the target duration) a sweep fetches about as often: one fetch per target duration is what
  // learning every segment costs. The sweep needs a 1 s tick to come near the deadline schedule's detection.
  it('fetches less than a sweep at the tick the sweep needs to come close (1 s)', async () => {
    const deadline = await runFor(loopOf(rig.names('news', 'sports'), []), 60_000);
    rig.t = rig.t0;
    const sweep = await runFor(loopOf(rig.names('news-sweep', 'sports-sweep'), [], 'sweep'), 60_000, 1000);
    expect(deadline).toBeLessThan(sweep);
  });

  it('a tick starts the due fetches and returns without waiting for them; they are reported once back', async () => {
    const [news] = rig.names('news') as [string];
    const loop = loopOf([news], []);
    await runFor(loop, 1000); // cold start: ladders, every rendition settled
    origin.set(`${news}/primary`, { hang: true }, '720p');
    const hung = `/${news}/primary/720p.m3u8`;
    rig.t += SEGMENT_S * 1000; // every rendition due (one target duration on)
    const before = origin.hits.get(hung) ?? 0;
    const ticked = await loop.tick();
    // Ordering: when the tick is back, the hung request is unanswered (not sent yet, or still open).
    expect((origin.hits.get(hung) ?? 0) > before && origin.hanging === 0).toBe(false);
    expect(ticked.fetches).toBe(0);
    const settled = await loop.settled();
    expect(settled.fetches).toBeGreaterThanOrEqual(3 * 6);
    expect(settled.fetchErrors).toBeGreaterThanOrEqual(1);
    expect(origin.hanging).toBe(0);
  });
});

describe('deadline schedule on the real clock', () => {
  it('a hung rendition holds up no other rendition: their deadline fetches go out while it is still open, on its own path too', async () => {
    const live = new LiveOrigin({ segmentS: 1 });
    await live.start();
    // The hung request stays open for the whole fetch timeout: 3 s, three target durations.
    const fetcher = createFetcher({ timeoutMs: 3000 });
    const [slow, other] = rig.names('slow', 'other') as [string, string];
    live.set(`${slow}/primary`, { hang: true }, '1080p');
    const loop = createProbeLoop({ registry: fleet(live.base, [slow, other]), fetcher, publish: async () => {} });
    const watched = [`/${slow}/primary/720p.m3u8`, `/${other}/primary/720p.m3u8`, `/${other}/edge/1080p.m3u8`];
    const hits = () => watched.map((p) => live.hits.get(p) ?? 0);
    const until = async (cond: () => boolean) => {
      while (!cond()) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      loop.start();
      // Past the cold start (ladders, settling), at the start of a fresh hang of the 1080p rendition.
      await until(() => loop.lastReport !== undefined && live.hanging === 0);
      await until(() => live.hanging === 1);
      const atHang = hits();
      await until(() => live.hanging === 0);
      const afterHang = hits();
      // Every watched rendition was fetched at least twice while the one request hung: its deadlines (every
      // target duration or sooner) came and went, and were met, without waiting for it.
      watched.forEach((path, i) => expect((afterHang[i] as number) - (atHang[i] as number), path).toBeGreaterThanOrEqual(2));
    } finally {
      await loop.close();
      await fetcher.close();
      await live.close();
    }
  });
});

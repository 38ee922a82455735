// Each path of a Manifest transition carries its live edge (epoch ms, by the playlist's wall clock): what lets
// triage tell an edge still serving a frozen origin's last playlist from its cache from an edge fed from
// elsewhere. Over a loopback live origin on a fake clock; its streams carry the same PDT for the same media
// sequence, as the edge and the origin it caches do.
import { describe, expect, it } from 'vitest';
import { MANIFEST_STALE } from '../../functions/domain/contracts.js';
import { createProbeLoop, type ProbeSchedule, type Transition } from '../../functions/domain/probe/index.js';
import { fleet } from '../../sandbox/testkit/fleet.js';
import { liveRig, step } from './live-rig.js';

const SEGMENT_S = 2;
const rig = liveRig({ t0: '2025-03-01T12:00:00.300Z', segmentS: SEGMENT_S });
const { origin, clock } = rig;

function loopOf(ids: string[], published: Transition[], schedule: ProbeSchedule) {
  return createProbeLoop({
    schedule,
    registry: fleet(origin.base, ids, { consecutive: 2 }),
    now: clock,
    fetcher: rig.fetcher,
    publish: async (ts) => void published.push(...ts),
  });
}

async function runFor(loop: ReturnType<typeof loopOf>, durationMs: number, stepMs: number, until?: () => boolean): Promise<void> {
  for (const end = rig.t + durationMs; rig.t < end && !until?.(); rig.t += stepMs) await step(loop);
}

/** End of the newest segment published by `at` (segments end on multiples of the segment duration). */
const newestEndAt = (at: number): number => Math.floor(at / (SEGMENT_S * 1000)) * SEGMENT_S * 1000;

describe('the live edge of every path on a transition', () => {
  it('the primary origin freezes and the edge serves its last playlist: the primary is stale first, the edge still fresh with nothing newer', async () => {
    const [news] = rig.names('news') as [string];
    const published: Transition[] = [];
    const loop = loopOf([news], published, 'deadline');
    await runFor(loop, 10_000, 100);
    expect(published).toEqual([]);

    const stallAt = rig.t;
    // The edge is a cache of the primary: it freezes at the same media (it confirms only after its max-age).
    origin.set(`${news}/primary`, { stallAt });
    origin.set(`${news}/edge`, { stallAt });
    await runFor(loop, 10_000, 100, () => published.length > 0);

    expect(published.map((p) => `${p.detailType} ${p.detail.path}`)).toEqual([`${MANIFEST_STALE} primary`]);
    const { paths, observedAt, thresholdMs } = (published[0] as Transition).detail;
    expect(paths.edge?.state).toBe('fresh');
    // The edge was due with the origin (the same media): its latest reading is already past the threshold, and
    // it confirms that only once its cached copy expired (max-age=1).
    expect(paths.edge?.ageMs).toBeGreaterThan(thresholdMs);
    expect(paths.primary?.liveEdgeAt).toBe(newestEndAt(stallAt));
    expect(paths.edge?.liveEdgeAt).toBe(newestEndAt(stallAt));
    // The standby carries on: its live edge is newer.
    expect(paths.standby?.liveEdgeAt).toBeGreaterThan(newestEndAt(stallAt));
    // The same instant as ageMs: the primary's renditions were all fetched at the transition.
    expect(paths.primary?.ageMs).toBe(Date.parse(observedAt) - newestEndAt(stallAt));
  });

  it('is the OLDEST rendition\'s: one frozen rendition sets the path\'s live edge', async () => {
    const [news] = rig.names('news') as [string];
    const published: Transition[] = [];
    const loop = loopOf([news], published, 'deadline');
    await runFor(loop, 10_000, 100);
    const stallAt = rig.t;
    origin.set(`${news}/primary`, { stallAt }, '540p');
    await runFor(loop, 10_000, 100, () => published.length > 0);
    const { paths } = (published[0] as Transition).detail;
    expect(paths.primary?.liveEdgeAt).toBe(newestEndAt(stallAt));
    expect(paths.edge?.liveEdgeAt).toBeGreaterThan(newestEndAt(stallAt));
  });

  it.each(['deadline', 'sweep'] as const)('%s: null on a path whose playlists carry no wall clock (an age from the tracker is not comparable)', async (schedule) => {
    const [news] = rig.names('news') as [string];
    const published: Transition[] = [];
    origin.set(`${news}/primary`, { pdt: false });
    const loop = loopOf([news], published, schedule);
    const stepMs = schedule === 'sweep' ? 1000 : 100;
    await runFor(loop, 10_000, stepMs);
    origin.set(`${news}/primary`, { pdt: false, stallAt: rig.t });
    await runFor(loop, 20_000, stepMs, () => published.length > 0);
    expect(published.map((p) => p.detail.path)).toEqual(['primary']);
    const { paths } = (published[0] as Transition).detail;
    expect(paths.primary).toMatchObject({ state: 'stale', liveEdgeAt: null });
    expect(paths.primary?.ageMs).toBeGreaterThan(3000);
    expect(paths.edge?.liveEdgeAt).toEqual(expect.any(Number));
  });
});

// The probe loop (sweep schedule; the deadline schedule is in deadline.test.ts) over a fleet served by a real
// loopback origin: debounced transitions (N stale ticks, then N fresh ones, one event each), the diagnosis across edge / primary / standby, a broken channel not delaying
// the others, sharding, and publish failures retried.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConcurrencyLimit, createProbeLoop, diagnose, inShard, LadderDebouncer, parseShard, PathDebouncer, shardOf, URGENCY, type Transition } from '../../functions/domain/probe/index.js';
import { MANIFEST_FRESH, MANIFEST_STALE } from '../../functions/domain/contracts.js';
import { fleet } from '../../sandbox/testkit/fleet.js';
import { liveRig } from './live-rig.js';

const rig = liveRig({ t0: '2025-03-01T12:00:00.400Z', segmentS: 1 });
const { origin, clock } = rig;
let ids: string[] = [];
beforeEach(() => {
  ids = rig.names('news', 'sports', 'kids');
});

function loopWith(published: Transition[][], extra: { fail?: () => boolean } = {}) {
  return createProbeLoop({
    schedule: 'sweep',
    registry: fleet(origin.base, ids),
    now: clock,
    fetcher: rig.fetcher,
    publish: async (ts) => {
      if (extra.fail?.()) throw new Error('bus unavailable');
      published.push(ts);
    },
  });
}

const events = (published: Transition[][]) => published.flat().map((e) => `${e.detailType} ${e.detail.channelId}/${e.detail.path}`);

describe('PathDebouncer', () => {
  it('changes state after N verdicts in a row, announces stale and stale->fresh, ignores blips and unknowns', () => {
    const d = new PathDebouncer(3);
    const seen = ['fresh', 'fresh', 'fresh', 'stale', 'stale', 'fresh', 'stale', 'unknown', 'stale', 'stale', 'stale', 'fresh', 'fresh', 'fresh', 'fresh'].map(
      (v) => d.observe(v as 'fresh' | 'stale' | 'unknown'),
    );
    // Settling into fresh after a cold start is silent; the blip (2 stale) is ignored; the unknown does not
    // break the stale run; one 'stale' and one 'fresh' announcement.
    expect(seen.filter((s) => s !== null)).toEqual(['stale', 'fresh']);
    expect(seen.indexOf('stale')).toBe(9);
    expect(seen.indexOf('fresh')).toBe(13);
    expect(d.state).toBe('fresh');
  });

  it('with announceInitialFresh, also announces the first settling into fresh', () => {
    const d = new PathDebouncer(2, true);
    expect([d.observe('fresh'), d.observe('fresh'), d.observe('fresh')]).toEqual([null, 'fresh', null]);
  });
});

describe('LadderDebouncer (deadline schedule)', () => {
  it('counts the confirmations of each rendition on its own: other renditions going stale once confirm nothing', () => {
    const d = new LadderDebouncer(2);
    d.track(['a', 'b', 'c']);
    for (const r of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) d.observe(r, 'fresh');
    expect([d.settle(), d.state]).toEqual([null, 'fresh']); // the first settling into fresh is silent

    for (const r of ['a', 'b', 'c']) d.observe(r, 'stale');
    expect([d.settle(), d.state]).toEqual([null, 'fresh']);
    d.observe('a', 'stale');
    expect(d.settle()).toBeNull();
    d.observe('a', 'stale'); // a: the first stale fetch and two confirmations
    expect([d.settle(), d.state, d.run.stale]).toEqual(['stale', 'stale', 3]);

    // A rendition new to the ladder changes nothing until it settles; the path is fresh once every one is.
    d.track(['a', 'b', 'c', 'd']);
    for (let i = 0; i < 3; i++) d.observe('a', 'fresh');
    expect([d.settle(), d.state]).toEqual([null, 'stale']);
    for (const r of ['b', 'c', 'd']) for (let i = 0; i < 3; i++) d.observe(r, 'fresh');
    expect([d.settle(), d.state]).toEqual(['fresh', 'fresh']);
  });
});

describe('diagnose', () => {
  it('tells CDN caching from an origin outage', () => {
    expect(diagnose({ edge: 'stale', primary: 'fresh', standby: 'fresh' }).code).toBe('edge-caching');
    expect(diagnose({ edge: 'stale', primary: 'stale', standby: 'fresh' }).code).toBe('origin-outage');
    expect(diagnose({ edge: 'stale', primary: 'stale', standby: 'stale' }).code).toBe('no-healthy-source');
    expect(diagnose({ edge: 'fresh', primary: 'stale', standby: 'fresh' }).code).toBe('primary-stale-edge-fresh');
    expect(diagnose({ edge: 'fresh', primary: 'fresh', standby: 'stale' }).code).toBe('standby-stale');
    expect(diagnose({ edge: 'fresh', primary: 'fresh', standby: 'fresh' }).code).toBe('healthy');
  });
});

describe('probe loop', () => {
  it('emits one Manifest Stale after N stale ticks and one Manifest Fresh after N fresh ticks, per path', async () => {
    const published: Transition[][] = [];
    const loop = loopWith(published);
    const [news] = ids as [string];
    const tickEvery = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await loop.tick();
        rig.t += 1000;
      }
    };
    await tickEvery(3);
    expect(events(published)).toEqual([]);

    // An origin outage: the primary freezes and the edge with it; the standby keeps going.
    origin.set(`${news}/primary`, { stallAt: rig.t });
    origin.set(`${news}/edge`, { stallAt: rig.t });
    // Ages at the next ticks: 400, 1400, 2400 (1st stale), 3400 (2nd stale: the transition).
    await tickEvery(3);
    expect(events(published)).toEqual([]);
    const r = await loop.tick();
    rig.t += 1000;
    expect(events(published)).toEqual([`${MANIFEST_STALE} ${news}/edge`, `${MANIFEST_STALE} ${news}/primary`]);
    const stale = r.transitions[1]?.detail;
    expect(stale).toMatchObject({ channelId: news, path: 'primary', state: 'stale', ageMs: 3400, thresholdMs: 1500, consecutive: 2 });
    // Each path's live edge: when its ageMs was measured (this tick) minus that age.
    const at = Date.parse(stale?.observedAt ?? '');
    expect(stale?.paths).toEqual({
      edge: { state: 'stale', ageMs: 3400, liveEdgeAt: at - 3400 },
      primary: { state: 'stale', ageMs: 3400, liveEdgeAt: at - 3400 },
      standby: { state: 'fresh', ageMs: 400, liveEdgeAt: at - 400 },
    });
    expect(stale?.diagnosis).toMatch(/origin outage/);
    expect(stale?.renditions).toHaveLength(6);
    expect(stale?.renditions.every((x) => x.status === 'stale' && x.ageMs === 3400)).toBe(true);

    // Still stale: no more events.
    await tickEvery(3);
    expect(published.flat()).toHaveLength(2);

    origin.clear(`${news}/primary`);
    origin.clear(`${news}/edge`);
    await tickEvery(1);
    expect(published.flat()).toHaveLength(2);
    await tickEvery(1);
    expect(events(published).slice(2)).toEqual([`${MANIFEST_FRESH} ${news}/edge`, `${MANIFEST_FRESH} ${news}/primary`]);
    await tickEvery(3);
    expect(published.flat()).toHaveLength(4);
    // The other channels never moved.
    expect(published.flat().every((e) => e.detail.channelId === news)).toBe(true);
  });

  it('diagnoses a stale edge in front of a fresh origin as CDN caching, not an origin outage', async () => {
    const published: Transition[][] = [];
    const loop = loopWith(published);
    const sports = ids[1] as string;
    origin.set(`${sports}/edge`, { stallAt: rig.t - 5000 });
    await loop.tick();
    rig.t += 1000;
    const r = await loop.tick();
    expect(events(published)).toEqual([`${MANIFEST_STALE} ${sports}/edge`]);
    expect(r.transitions[0]?.detail.diagnosis).toBe('edge stale while primary origin fresh: CDN caching, not an origin outage');
    expect(r.channels.find((c) => c.channelId === sports)?.diagnosis.code).toBe('edge-caching');
  });

  it('counts fetch errors as stale ticks', async () => {
    const published: Transition[][] = [];
    const loop = loopWith(published);
    const kids = ids[2] as string;
    origin.set(`${kids}/standby`, { status: 404 });
    await loop.tick();
    const r = await loop.tick();
    expect(events(published)).toEqual([`${MANIFEST_STALE} ${kids}/standby`]);
    expect(r.transitions[0]?.detail).toMatchObject({ ageMs: null, diagnosis: expect.stringMatching(/standby/) });
    expect(r.fetchErrors).toBe(1);
  });

  it('does not let a channel that never answers delay the others', async () => {
    const published: Transition[][] = [];
    const loop = loopWith(published);
    const [news, sports] = ids as [string, string];
    origin.set(`${news}/primary`, { hang: true });
    origin.set(`${sports}/edge`, { delayMs: 150 });
    origin.answeredWhileHanging = 0;
    const r = await loop.tick();
    const hung = r.channels.find((c) => c.channelId === news)?.paths.primary;
    expect(hung).toMatchObject({ verdict: 'stale', fetchErrors: 1 });
    expect(hung?.problems.map((p) => p.code)).toEqual(['timeout']);
    // Every other path answered and is fresh, the slow one too.
    const others = r.channels.flatMap((c) => Object.values(c.paths)).filter((p) => p !== hung);
    expect(others).toHaveLength(8);
    for (const p of others) expect(p.verdict).toBe('fresh');
    // Ordering, not timing: every rendition request of the other paths (8 x 6) was answered while the
    // hung request was still open, i.e. nothing queued behind it.
    expect(origin.answeredWhileHanging).toBeGreaterThanOrEqual(8 * 6);
  });

  it('retries a transition whose publish failed while the path is still in that state', async () => {
    const published: Transition[][] = [];
    let failing = true;
    const loop = loopWith(published, { fail: () => failing });
    const news = ids[0] as string;
    origin.set(`${news}/standby`, { status: 500 });
    await loop.tick();
    const r = await loop.tick();
    expect(r.published).toBe(false);
    expect(published).toEqual([]);
    failing = false;
    const again = await loop.tick();
    expect(again.published).toBe(true);
    expect(events(published)).toEqual([`${MANIFEST_STALE} ${news}/standby`]);
    await loop.tick();
    expect(published.flat()).toHaveLength(1);
  });

  it('runs ticks on its own with start() until stop()', async () => {
    const seen: number[] = [];
    const loop = createProbeLoop({
      schedule: 'sweep',
      registry: fleet(origin.base, ids),
      now: clock,
      fetcher: rig.fetcher,
      tickMs: 20,
      publish: async () => {},
      onTick: (report) => {
        seen.push(report.tick);
        // Not awaited: stop() waits for the tick that is calling this; the test polls loop.running below.
        if (report.tick === 3) void loop.stop();
      },
    });
    loop.start();
    expect(loop.running).toBe(true);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (!loop.running) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(loop.lastReport?.tick).toBe(3);
    expect(loop.lastReport?.channels.map((c) => c.channelId)).toEqual(ids);
    await loop.close();
  });
});

describe('sharding', () => {
  const many = Array.from({ length: 200 }, (_, i) => ({ id: `ch-${i}` }));

  it('splits a fleet into disjoint shards that cover it, by a stable hash', () => {
    const shards = [0, 1, 2, 3].map((i) => inShard(many, parseShard(`${i}/4`)).map((c) => c.id));
    expect(shards.flat().sort()).toEqual(many.map((c) => c.id).sort());
    expect(new Set(shards.flat()).size).toBe(many.length);
    for (const s of shards) expect(s.length).toBeGreaterThan(20);
    expect(shardOf('news-1', 4)).toBe(shardOf('news-1', 4));
    expect(inShard(many, parseShard('0/1'))).toHaveLength(200);
  });

  it('rejects a malformed shard', () => {
    expect(() => parseShard('4/4')).toThrow(/i\/n/);
    expect(() => parseShard('x')).toThrow(/i\/n/);
    expect(() => parseShard('0/0')).toThrow(/i\/n/);
  });
});

describe('ConcurrencyLimit', () => {
  it('never runs more than max tasks at once and serves them in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        limit.run(async () => {
          order.push(i);
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(limit.active).toBe(0);
  });

  it('keeps arrival order over thousands of queued tasks (a fleet falling due together)', async () => {
    const limit = new ConcurrencyLimit(1);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 5000 }, (_, i) => limit.run(async () => void order.push(i))));
    expect(order).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect([limit.active, limit.queued]).toEqual([0, 0]);
  });

  /** A task that records its name when it starts and holds its slot for a moment. */
  const recordingTask = (order: string[]) => (name: string) => async () => {
    order.push(name);
    await new Promise((r) => setTimeout(r, 1));
  };

  it('serves a confirmation, then the deadline fetches, before the tasks already queued, each lane in arrival order', async () => {
    const limit = new ConcurrencyLimit(1);
    const order: string[] = [];
    const task = recordingTask(order);
    await Promise.all([
      limit.run(task('a')),
      limit.run(task('b')),
      limit.run(task('deadline 1'), { urgency: URGENCY.deadline }),
      limit.run(task('c')),
      limit.run(task('deadline 2'), { urgency: URGENCY.deadline }),
      limit.run(task('confirm'), { urgency: URGENCY.confirm }),
    ]);
    expect(order).toEqual(['a', 'confirm', 'deadline 1', 'deadline 2', 'b', 'c']);
    expect(limit.queued).toBe(0);
  });

  it('lets a normal task whose deadline passed take its turn among the deadline tasks, in arrival order', async () => {
    const limit = new ConcurrencyLimit(1);
    const order: string[] = [];
    const task = recordingTask(order);
    await Promise.all([
      limit.run(task('a')),
      limit.run(task('learning, deadline in an hour'), { deadlineInMs: 3_600_000 }),
      limit.run(task('learning, deadline passed'), { deadlineInMs: 0 }),
      limit.run(task('deadline'), { urgency: URGENCY.deadline }),
    ]);
    // Past its deadline when it arrives, the learning task is a deadline task at once (not behind the lane's head).
    expect(order).toEqual(['a', 'learning, deadline passed', 'deadline', 'learning, deadline in an hour']);

    order.length = 0;
    await Promise.all([
      limit.run(task('a')),
      limit.run(task('learning, deadline passed'), { deadlineInMs: 0 }),
      limit.run(task('deadline'), { urgency: URGENCY.deadline }),
      limit.run(task('learning, deadline in an hour'), { deadlineInMs: 3_600_000 }),
    ]);
    // Past its deadline, the learning task arrived before the deadline task: it goes first; the other one waits.
    expect(order).toEqual(['a', 'learning, deadline passed', 'deadline', 'learning, deadline in an hour']);
  });
  it('keeps the slots past learningMax for the urgent lanes: learning tasks never hold more, an urgent task starts at once beside them', async () => {
    const limit = new ConcurrencyLimit(4, 2);
    let normalActive = 0;
    let peakNormal = 0;
    const release: Array<() => void> = [];
    // Learning: a normal task with a deadline to wait for.
    const normal = Array.from({ length: 6 }, () =>
      limit.run(
        async () => {
          peakNormal = Math.max(peakNormal, ++normalActive);
          await new Promise<void>((r) => release.push(r));
          normalActive--;
        },
        { deadlineInMs: 3_600_000 },
      ),
    );
    await new Promise((r) => setTimeout(r, 1));
    expect([limit.active, limit.queued]).toEqual([2, 4]);
    // Two slots are free, though normal tasks wait: a confirmation and a deadline fetch take them at once, and a
    // normal task whose deadline passed is a deadline task (not one of the normal lane's share).
    expect(await limit.run(async () => 'confirm', { urgency: URGENCY.confirm })).toBe('confirm');
    expect(await limit.run(async () => 'deadline', { urgency: URGENCY.deadline })).toBe('deadline');
    expect(await limit.run(async () => 'learning, deadline passed', { deadlineInMs: 0 })).toBe('learning, deadline passed');
    let done = false;
    void Promise.all(normal).then(() => (done = true));
    while (!done) {
      for (const r of release.splice(0)) r();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(peakNormal).toBe(2);
    expect([limit.active, limit.queued]).toEqual([0, 0]);
  });

  it('holds a normal task without a deadline (a sweep\'s) to the whole limit, not to the learning share', async () => {
    const limit = new ConcurrencyLimit(4, 1);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        limit.run(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(4);
  });
});

describe('automatic failback needs the dwell to be seen', () => {
  it('re-announces a fresh primary once it has lasted minDwellSeconds, then every dwell; never for manual channels', async () => {
    const published: Transition[][] = [];
    const registry = fleet(origin.base, ids);
    const automatic = registry.channels.map((c, i) =>
      i === 0 ? { ...c, policy: { ...c.policy, failback: 'automatic' as const, minDwellSeconds: 10 } } : { ...c, policy: { ...c.policy, minDwellSeconds: 10 } },
    );
    const loop = createProbeLoop({ schedule: 'sweep', registry: { channels: automatic }, now: clock, fetcher: rig.fetcher, publish: async (ts) => void published.push(ts) });
    // 35 s of healthy ticks, one a second: the first settling into fresh is silent, then reminders at ~10 s intervals.
    for (let s = 0; s < 35; s++) {
      await loop.tick();
      rig.t += 1000;
    }
    await loop.close();
    const reminders = published.flat().filter((e) => e.detailType === MANIFEST_FRESH && e.detail.path === 'primary');
    expect(reminders.map((e) => e.detail.channelId)).toEqual([ids[0], ids[0], ids[0]]);
    const gaps = reminders.slice(1).map((e, i) => Date.parse(e.detail.observedAt) - Date.parse(reminders[i]!.detail.observedAt));
    expect(gaps).toEqual([10_000, 10_000]);
    expect(published.flat().filter((e) => e.detailType === MANIFEST_STALE)).toEqual([]);
  });
});

describe('an outage is re-announced while it lasts', () => {
  it('a primary that stays stale is announced again every quarter of the dwell (reminder: true), and no more once fresh', async () => {
    const [news] = ids as [string];
    const published: Transition[][] = [];
    // minDwellSeconds 8 => a reminder every 2 s.
    const loop = createProbeLoop({ schedule: 'sweep', registry: fleet(origin.base, [news], { minDwellSeconds: 8 }), now: clock, fetcher: rig.fetcher, publish: async (ts) => void published.push(ts) });
    const tick = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await loop.tick();
        rig.t += 1000;
      }
    };
    await tick(2);
    origin.set(`${news}/primary`, { stallAt: rig.t });
    origin.set(`${news}/edge`, { stallAt: rig.t });
    await tick(4); // the stale transition (edge + primary), as before
    expect(events(published)).toEqual([`${MANIFEST_STALE} ${news}/edge`, `${MANIFEST_STALE} ${news}/primary`]);
    await tick(4); // 4 s more of the same outage: two reminders, for the primary only
    const reminders = published.flat().slice(2);
    expect(reminders.map((e) => `${e.detailType} ${e.detail.path}`)).toEqual([`${MANIFEST_STALE} primary`, `${MANIFEST_STALE} primary`]);
    expect(reminders.every((e) => e.detail.reminder === true && e.detail.paths.edge?.state === 'stale')).toBe(true);
    expect(new Set(reminders.map((e) => e.detail.observedAt)).size).toBe(2); // each one a new fact for triage

    origin.clear(`${news}/primary`);
    origin.clear(`${news}/edge`);
    const before = published.flat().length;
    await tick(6);
    const after = published.flat().slice(before);
    expect(after.map((e) => e.detailType)).toEqual([MANIFEST_FRESH, MANIFEST_FRESH]);
  });
});

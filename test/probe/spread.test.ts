// The deadline schedule's learning fetches, on a loopback origin and a fake clock stepped 10 ms at a time. Segments
// start on the same instants for every stream (epoch-aligned), so a schedule keyed on the deadline alone would
// fetch every rendition of a fleet in the same step. Here: a path's renditions are fetched once per segment, after
// the next segment should have appeared and well before the deadline, the path's scout at an offset of the path's
// own and its siblings spread after it once it saw the new segment; a late segment costs the scout more looks,
// never a stale verdict; a frozen rendition is fetched at its deadline and confirmed there; with slots scarce, a
// deadline fetch starts before the learning fetches queued ahead of it.
import { describe, expect, it } from 'vitest';
import { MANIFEST_STALE } from '../../functions/domain/contracts.js';
import {
  createFetcher,
  createProbeLoop,
  DUE_MARGIN_MS,
  learningOffsetMs,
  PathProbe,
  SCOUT_RETRY_TD,
  SIBLING_SPREAD_TD,
  siblingOffsetMs,
  URGENCY,
  type Fetcher,
  type PathObservation,
  type RenditionObservation,
  type Transition,
} from '../../functions/domain/probe/index.js';
import { fleet } from '../../sandbox/testkit/fleet.js';
import { liveRig, step } from './live-rig.js';

const SEGMENT_S = 2;
const TD_MS = SEGMENT_S * 1000;
const STALE_AFTER = 1.5;
const STEP_MS = 10;
const rig = liveRig({ t0: '2025-03-01T12:00:00.300Z', segmentS: SEGMENT_S });
const { origin, clock } = rig;
/** The end of the newest segment at T0 (segments cover [n x TD, (n+1) x TD) of epoch time). */
const E0 = Math.floor(rig.t0 / TD_MS) * TD_MS;

interface Call {
  url: string;
  /** The probe's (fake) clock when the fetch was asked for. */
  at: number;
  urgency: number;
  /** performance.now() when it got its slot (set once back). */
  startedAt?: number;
  /** How many of the recorder's requests had come back when this one was asked for. */
  backBefore: number;
}

/** A fetcher that records every request it is asked for, in that order. */
function recording(inner: Fetcher): { fetcher: Fetcher; calls: Call[] } {
  const calls: Call[] = [];
  let back = 0;
  const fetcher: Fetcher = {
    limit: inner.limit,
    close: () => inner.close(),
    async get(url, options) {
      const call: Call = { url, at: clock(), urgency: options?.urgency ?? URGENCY.normal, backBefore: back };
      calls.push(call);
      const result = await inner.get(url, options);
      back++;
      call.startedAt = result.startedAt;
      return result;
    },
  };
  return { fetcher, calls };
}

const probeOf = (url: string, fetcher: Fetcher) => new PathProbe(url, { fetcher, now: clock, staleAfterTargetDurations: STALE_AFTER, schedule: 'deadline' });

/** Steps the probes' clock to `until`, starting what is due at each step and waiting for it (follow-ups included). */
async function runTo(probes: PathProbe | PathProbe[], until: number, report: (o: PathObservation) => void = () => {}): Promise<void> {
  for (; rig.t <= until; rig.t += STEP_MS)
    for (const probe of [probes].flat())
      for (;;) {
        const work = probe.dispatch(report, rig.t);
        await Promise.all(work);
        if (work.length === 0 || probe.dueIn(rig.t) > 0) break;
      }
}

/** Where in its segment period (ms after a segment boundary) a time falls. */
const phase = (at: number): number => (((at - E0) % TD_MS) + TD_MS) % TD_MS;
const renditionCalls = (calls: readonly Call[], url: string, from = Number.NEGATIVE_INFINITY) => calls.filter((c) => c.url === url && c.at >= from);

describe('learning fetches before the deadline', () => {
  it('fetches every rendition once per segment, after it should have appeared and well before the deadline: the scout at the path\'s offset, its siblings spread after it', async () => {
    const { fetcher, calls } = recording(rig.fetcher);
    const probes = ['a', 'b', 'c', 'd'].map((p) => probeOf(origin.url(`s${rig.run}-${p}/primary`), fetcher));
    await runTo(probes, E0 + 10 * TD_MS);
    const offsets = new Set<number>();
    const window = (STALE_AFTER - 1) * TD_MS;
    for (const probe of probes) {
      const ladder = (probe.ladder ?? []).map((e) => e.url);
      expect(ladder).toHaveLength(6);
      const offset = learningOffsetMs(probe.url, TD_MS, STALE_AFTER);
      // The siblings follow within SIBLING_SPREAD_TD, and within the first half of what is left before the deadline.
      const spread = Math.min(SIBLING_SPREAD_TD * TD_MS, (window - offset) / 2);
      const siblingPhases = new Set<number>();
      for (const [i, url] of ladder.entries()) {
        // After the cold start: segment periods 1 to 9 (the deadline of the segment ending at E0 + k TD is E0 + (k + 1.5) TD).
        const later = renditionCalls(calls, url, E0 + TD_MS);
        expect(later.map((c) => Math.floor((c.at - E0) / TD_MS)), url).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        for (const c of later) {
          // The scout in the step of the path's learning offset, so after the new segment appeared (on time here);
          // its siblings after it, back well before the old deadline (0.5 TD into the period): the deadline of a
          // rendition that learned its new segment has moved on, so it is never fetched there.
          expect(phase(c.at) - offset, url).toBeGreaterThanOrEqual(0);
          expect(phase(c.at) - offset, url).toBeLessThan((i === 0 ? 0 : spread) + STEP_MS);
          expect(phase(c.at), url).toBeLessThan(window - (window - offset) / 2 + STEP_MS);
          expect(c.urgency).toBe(URGENCY.normal);
          if (i > 0) siblingPhases.add(phase(c.at));
        }
      }
      // Spread: a ladder's siblings are not all fetched in the same step.
      expect(siblingPhases.size, probe.url).toBeGreaterThan(1);
      // One learning fetch per path: the first rendition of the ladder asks first in each period.
      const firstInPeriod = calls.filter((c) => ladder.includes(c.url) && c.at >= E0 + TD_MS && c.at < E0 + 2 * TD_MS)[0];
      expect(firstInPeriod?.url).toBe(ladder[0]);
      offsets.add(phase(firstInPeriod?.at ?? 0));
    }
    // Spread: the paths of a fleet are not all due in the same step.
    expect(offsets.size).toBeGreaterThan(1);
  });

  it('spreads the siblings following their scout over SIBLING_SPREAD_TD, within half the time left before their deadline, and at once past it', () => {
    const urls = Array.from({ length: 50 }, (_, i) => `https://origin.example/s/primary/r${i}.m3u8`);
    const now = E0 + TD_MS + 200;
    const plenty = urls.map((u) => siblingOffsetMs(u, now, now + TD_MS, TD_MS));
    for (const o of plenty) expect(o).toBeGreaterThanOrEqual(0);
    for (const o of plenty) expect(o).toBeLessThan(SIBLING_SPREAD_TD * TD_MS);
    expect(new Set(plenty.map((o) => Math.floor(o / STEP_MS))).size).toBeGreaterThan(5);
    // Stable: the same rendition keeps its place.
    expect(urls.map((u) => siblingOffsetMs(u, now, now + TD_MS, TD_MS))).toEqual(plenty);
    // 100 ms left: at most 50 ms on.
    for (const u of urls) expect(siblingOffsetMs(u, now, now + 100, TD_MS)).toBeLessThan(50);
    // At or past its deadline: at once.
    for (const u of urls) expect(siblingOffsetMs(u, now, now, TD_MS)).toBe(0);
    for (const u of urls) expect(siblingOffsetMs(u, now, now - 300, TD_MS)).toBe(0);
  });

  it('with segments up to half a target duration late, learns them from the scout\'s looks every SCOUT_RETRY_TD, fetches its siblings after its answer, and never calls it stale', async () => {
    // A path whose scout looks early in the window (0.10-0.13 TD): with its looks 0.1 TD apart, some late segments
    // are seen on time, some on a later look, and some (later than its last look) only at the deadline.
    const early = (name: string) => learningOffsetMs(origin.url(name), TD_MS, STALE_AFTER) / TD_MS;
    const stream = Array.from({ length: 400 }, (_, i) => `s${rig.run}-late-${i}/primary`).find((n) => early(n) >= 0.1 && early(n) < 0.13);
    if (stream === undefined) throw new Error('no stream name gives a learning offset of 0.10-0.13 TD');
    origin.set(stream, { jitter: 0.5 });
    const seen: Array<RenditionObservation & { at: number }> = [];
    const { fetcher, calls } = recording(rig.fetcher);
    const probe = probeOf(origin.url(stream), fetcher);
    await runTo(probe, E0 + 30 * TD_MS, (o) => seen.push(...o.fetched.map((r) => ({ ...r, at: rig.t }))));
    expect(seen.filter((r) => r.status !== 'fresh')).toEqual([]);
    const ladder = (probe.ladder ?? []).map((e) => e.url);
    const window = (STALE_AFTER - 1) * TD_MS;
    let missed = 0;
    let learned = 0;
    let retried = 0;
    for (let k = 1; k < 30; k++) {
      const inPeriod = seen.filter((r) => r.at >= E0 + k * TD_MS && r.at < E0 + (k + 1) * TD_MS);
      const scoutLooks = inPeriod.filter((r) => r.url === ladder[0] && phase(r.at) < window);
      const atDeadline = inPeriod.filter((r) => phase(r.at) >= window);
      // A scout that saw nothing new looks again SCOUT_RETRY_TD later (and at its deadline at the latest).
      for (const [i, r] of scoutLooks.entries())
        if (i > 0) expect(r.at - (scoutLooks[i - 1] as RenditionObservation & { at: number }).at, `period ${k}`).toBe(SCOUT_RETRY_TD * TD_MS);
      if (scoutLooks.length > 1) retried++;
      const lastLook = scoutLooks.at(-1) as RenditionObservation & { at: number };
      // The segment that ended at the start of the period: the scout saw it, or the whole ladder is fetched at the
      // deadline (+ the 20 ms margin, within a step) and sees it there.
      const newest = (lastLook.mediaSequence ?? 0) + (atDeadline.length > 0 ? 1 : 0);
      if (atDeadline.length === 0) {
        learned++;
        // The siblings after the look that saw the segment, before the deadline.
        for (const url of ladder.slice(1)) {
          const sibling = inPeriod.filter((r) => r.url === url);
          expect(sibling, `period ${k} ${url}`).toHaveLength(1);
          expect((sibling[0] as { at: number }).at, `period ${k} ${url}`).toBeGreaterThanOrEqual(lastLook.at);
        }
      } else {
        missed++;
        // The scout kept looking until less than one look before the deadline; then looked at it alone, in the
        // deadline lane, and its siblings followed its answer at once (their deadline had come), as learning.
        expect(window - phase(lastLook.at), `period ${k}`).toBeLessThanOrEqual(SCOUT_RETRY_TD * TD_MS);
        expect(atDeadline.map((r) => r.url).sort(), `period ${k}`).toEqual([...ladder].sort());
        for (const r of atDeadline) expect(phase(r.at) - window, `period ${k}`).toBeLessThanOrEqual(20 + STEP_MS);
        const asked = calls.filter((c) => c.at >= E0 + k * TD_MS + window && c.at < E0 + (k + 1) * TD_MS);
        const [first, ...siblings] = asked;
        expect(first?.url, `period ${k}`).toBe(ladder[0]);
        expect(first?.urgency, `period ${k}`).toBe(URGENCY.deadline);
        expect(siblings.map((c) => c.url).sort(), `period ${k}`).toEqual(ladder.slice(1).sort());
        for (const c of siblings) {
          expect(c.backBefore, `period ${k} ${c.url}`).toBeGreaterThan(first?.backBefore ?? Number.POSITIVE_INFINITY);
          expect(c.urgency, `period ${k} ${c.url}`).toBe(URGENCY.normal);
        }
      }
      for (const url of ladder) expect(inPeriod.filter((r) => r.url === url).at(-1)?.mediaSequence, `period ${k} ${url}`).toBe(newest);
    }
    // All three happen: segments learned at the first look, learned from a later look, and (the latest) at the deadline.
    expect(missed).toBeGreaterThan(0);
    expect(learned).toBeGreaterThan(0);
    expect(retried).toBeGreaterThan(0);
  });
});

describe('at the deadline', () => {
  // 540p: a sibling, fetched once the scout saw the new segment, then late on its own: its look at the deadline goes
  // in the confirmations' lane. 1080p: the scout itself (the first of the ladder), which looks again every
  // SCOUT_RETRY_TD before its deadline, then at it in the deadline lane.
  it.each([
    ['540p', URGENCY.confirm],
    ['1080p', URGENCY.deadline],
  ])('fetches a frozen rendition (%s) at its deadline, ahead of the queue, and confirms it there', async (rendition, firstLook) => {
    const [news] = rig.names('news') as [string];
    const { fetcher, calls } = recording(rig.fetcher);
    const published: Transition[] = [];
    const loop = createProbeLoop({
      registry: fleet(origin.base, [news], { consecutive: 2, staleAfterTargetDurations: STALE_AFTER }),
      paths: ['primary'],
      now: clock,
      fetcher,
      publish: async (ts) => void published.push(...ts),
    });
    for (; rig.t < E0 + 4 * TD_MS; rig.t += STEP_MS) await step(loop);
    // Frozen from here: its newest segment ends at E0 + 4 TD, its deadline is 1.5 TD later.
    const newestEnd = E0 + 4 * TD_MS;
    origin.set(`${news}/primary`, { stallAt: rig.t }, rendition);
    const frozen = origin.url(`${news}/primary`, `${rendition}.m3u8`);
    const deadline = newestEnd + STALE_AFTER * TD_MS;
    for (; rig.t < deadline + 10 * STEP_MS && published.length === 0; rig.t += STEP_MS) await step(loop);

    expect(published.map((p) => `${p.detailType} ${p.detail.channelId}/${p.detail.path}`)).toEqual([`${MANIFEST_STALE} ${news}/primary`]);
    // From when its next segment was due: its learning look(s) before the deadline (nothing new), then at the
    // deadline the first stale look (ahead of the learning fetches queued for a slot) and its two confirmations.
    const after = renditionCalls(calls, frozen, newestEnd + TD_MS);
    const learning = after.filter((c) => c.at < deadline);
    const atDeadline = after.filter((c) => c.at >= deadline);
    expect(learning.length).toBeGreaterThan(0);
    expect(learning.every((c) => c.urgency === URGENCY.normal)).toBe(true);
    expect(atDeadline.map((c) => c.urgency)).toEqual([firstLook, URGENCY.confirm, URGENCY.confirm]);
    const [first] = atDeadline as [Call];
    expect(first.at).toBeLessThanOrEqual(deadline + 20 + STEP_MS);
    expect(atDeadline.every((c) => c.at === first.at)).toBe(true);
    expect(Date.parse((published[0] as Transition).detail.observedAt)).toBe(first.at);
  });

  it('with segments up to half a target duration late, still catches a frozen sibling at its deadline, whenever its scout learns the segment', async () => {
    // Eight channels, each with one sibling frozen in a period of its own: the segment after it is late by a
    // different amount each time, so the scout learns it at its first look, at a later one, or only at the deadline.
    const ids = rig.names(...Array.from({ length: 8 }, (_, i) => `late-${i}`));
    for (const id of ids) origin.set(`${id}/primary`, { jitter: 0.5 });
    const published: Transition[] = [];
    const loop = createProbeLoop({
      registry: fleet(origin.base, ids, { consecutive: 2, staleAfterTargetDurations: STALE_AFTER }),
      paths: ['primary'],
      now: clock,
      fetcher: rig.fetcher,
      publish: async (ts) => void published.push(...ts),
    });
    const deadlines = new Map<string, number>();
    for (const [i, id] of ids.entries()) {
      // 0.6 TD into the period, the segment that ended at its start has appeared (late by 0.5 TD at most): the
      // frozen rendition's newest; its deadline is 1.5 TD after that segment's end.
      const newestEnd = E0 + (3 + i) * TD_MS;
      for (; rig.t < newestEnd + 0.6 * TD_MS; rig.t += STEP_MS) await step(loop);
      origin.set(`${id}/primary`, { stallAt: rig.t }, '540p');
      deadlines.set(id, newestEnd + STALE_AFTER * TD_MS);
    }
    for (const last = Math.max(...deadlines.values()); rig.t < last + 10 * STEP_MS; rig.t += STEP_MS) await step(loop);
    expect(published.map((p) => `${p.detailType} ${p.detail.channelId}`).sort()).toEqual(ids.map((id) => `${MANIFEST_STALE} ${id}`).sort());
    for (const p of published) {
      const late = Date.parse(p.detail.observedAt) - (deadlines.get(p.detail.channelId) as number);
      expect(late, p.detail.channelId).toBeGreaterThanOrEqual(0);
      expect(late, p.detail.channelId).toBeLessThanOrEqual(DUE_MARGIN_MS + STEP_MS);
    }
  });

  it('with one slot held, starts a deadline fetch before the learning fetches queued ahead of it', async () => {
    const one = createFetcher({ concurrency: 1, timeoutMs: 1000 });
    const { fetcher, calls } = recording(one);
    const offset = (stream: string) => learningOffsetMs(origin.url(stream), TD_MS, STALE_AFTER);
    // Two paths (their offsets hash from the URL, port included): B with a frozen rendition, A learning later in the
    // period than B's siblings (its offset at least two steps past their spread) and well over the blocker's 100 ms
    // before its own deadline (fake and real ms alike: a learning fetch still queued at its deadline would count as
    // a deadline fetch).
    const spread = SIBLING_SPREAD_TD * TD_MS;
    const names = Array.from({ length: 80 }, (_, i) => `s${rig.run}-${i}/primary`).sort((x, y) => offset(x) - offset(y));
    const b = names[0] as string;
    const a = names.find((s) => offset(s) > offset(b) + spread + 2 * STEP_MS && offset(s) < (STALE_AFTER - 1) * TD_MS - 500);
    if (a === undefined) throw new Error('no stream name gives path A a later learning offset than B');
    const [pathA, pathB] = [probeOf(origin.url(a), fetcher), probeOf(origin.url(b), fetcher)];
    try {
      await runTo([pathA, pathB], rig.t); // cold start: the ladders and every rendition, fresh
      origin.set(b, { stallAt: rig.t }, '540p');
      const frozen = origin.url(b, '540p.m3u8');
      // B's learning: its scout sees the new segment, its siblings follow within the spread, the frozen one sees nothing new.
      const learnedB = E0 + TD_MS + offset(b) + spread + STEP_MS;
      await runTo([pathA, pathB], learnedB);
      expect(renditionCalls(calls, frozen, E0 + TD_MS).map((c) => c.urgency)).toEqual([URGENCY.normal]);
      expect(renditionCalls(calls, origin.url(a, '1080p.m3u8'), E0 + TD_MS)).toEqual([]);

      // The only slot is taken (a request answered 100 ms later, real time) while A's learning fetch falls due and
      // queues, then the frozen rendition's deadline passes (the fake clock steps on meanwhile).
      origin.set(`blocker-${rig.run}`, { delayMs: 100 });
      const blocker = one.get(origin.url(`blocker-${rig.run}`, '720p.m3u8'));
      const work: Array<Promise<void>> = [];
      const deadline = E0 + STALE_AFTER * TD_MS;
      for (; rig.t <= deadline + 20 + STEP_MS; rig.t += STEP_MS) for (const p of [pathA, pathB]) work.push(...p.dispatch(() => {}, rig.t));
      await blocker;
      await Promise.all(work);

      const queued = calls.filter((c) => c.at > learnedB);
      const atDeadline = queued.find((c) => c.url === frozen);
      const learningAhead = queued.filter((c) => c.url.includes(`/${a}/`) && c.at < (atDeadline?.at ?? 0));
      // Late on its own (its scout saw the new segment): its look at the deadline waits with the confirmations.
      expect(atDeadline?.urgency).toBe(URGENCY.confirm);
      expect(learningAhead.length).toBeGreaterThan(0);
      expect(learningAhead.every((c) => c.urgency === URGENCY.normal)).toBe(true);
      // Asked for later, started first.
      for (const c of learningAhead) expect(atDeadline?.startedAt as number).toBeLessThan(c.startedAt as number);
    } finally {
      await one.close();
    }
  });
});

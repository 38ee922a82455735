// The deadline schedule's learning fetches, on a loopback origin and a fake clock stepped 10 ms at a time. Segments
// start on the same instants for every stream (epoch-aligned), so a schedule keyed on the deadline alone would
// fetch every rendition of a fleet in the same step. Here: a path's renditions are fetched once per segment, after
// the next segment should have appeared and before the deadline, the path's scout at an offset of the path's own
// and its siblings once it saw the new segment; a late segment costs deadline fetches, never a stale verdict; a
// frozen rendition is fetched at its deadline and confirmed there; with slots scarce, a deadline fetch starts
// before the learning fetches queued ahead of it.
import { describe, expect, it } from 'vitest';
import { MANIFEST_STALE } from '../../functions/domain/contracts.js';
import {
  createFetcher,
  createProbeLoop,
  learningOffsetMs,
  PathProbe,
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
  it('fetches every rendition once per segment, after it should have appeared and before the deadline: the scout at the path\'s offset, its siblings right after', async () => {
    const { fetcher, calls } = recording(rig.fetcher);
    const probes = ['a', 'b', 'c', 'd'].map((p) => probeOf(origin.url(`s${rig.run}-${p}/primary`), fetcher));
    await runTo(probes, E0 + 10 * TD_MS);
    const offsets = new Set<number>();
    for (const probe of probes) {
      const ladder = (probe.ladder ?? []).map((e) => e.url);
      expect(ladder).toHaveLength(6);
      const offset = learningOffsetMs(probe.url, TD_MS, STALE_AFTER);
      for (const url of ladder) {
        // After the cold start: segment periods 1 to 9 (the deadline of the segment ending at E0 + k TD is E0 + (k + 1.5) TD).
        const later = renditionCalls(calls, url, E0 + TD_MS);
        expect(later.map((c) => Math.floor((c.at - E0) / TD_MS)), url).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        for (const c of later) {
          // In the step of the path's learning offset (the scout, then its siblings at once), so after the new
          // segment appeared (on time here) and before the old deadline (0.5 TD into the period): the deadline of
          // a rendition that learned its new segment has moved on, so it is never fetched there.
          expect(phase(c.at) - offset, url).toBeGreaterThanOrEqual(0);
          expect(phase(c.at) - offset, url).toBeLessThan(STEP_MS);
          expect(phase(c.at), url).toBeLessThan((STALE_AFTER - 1) * TD_MS);
          expect(c.urgency).toBe(URGENCY.normal);
        }
      }
      // One learning fetch per path: the first rendition of the ladder asks first in each period.
      const firstInPeriod = calls.filter((c) => ladder.includes(c.url) && c.at >= E0 + TD_MS && c.at < E0 + 2 * TD_MS)[0];
      expect(firstInPeriod?.url).toBe(ladder[0]);
      offsets.add(phase(firstInPeriod?.at ?? 0));
    }
    // Spread: the paths of a fleet are not all due in the same step.
    expect(offsets.size).toBeGreaterThan(1);
  });

  it('with segments up to half a target duration late, looks again at the deadline with the scout alone, its siblings after its answer, and never calls it stale', async () => {
    // A path whose scout looks early in the window (0.10-0.13 TD): some late segments are seen at its learning
    // fetch, the others only at its deadline.
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
    for (let k = 1; k < 30; k++) {
      const inPeriod = seen.filter((r) => r.at >= E0 + k * TD_MS && r.at < E0 + (k + 1) * TD_MS);
      const scout = inPeriod.find((r) => r.url === ladder[0] && phase(r.at) < window);
      const atDeadline = inPeriod.filter((r) => phase(r.at) >= window);
      // The segment that ended at the start of the period: the scout saw it, or the whole ladder is fetched at the
      // deadline (+ the 20 ms margin, within a step) and sees it there.
      const newest = (scout?.mediaSequence ?? 0) + (atDeadline.length > 0 ? 1 : 0);
      if (atDeadline.length === 0) learned++;
      else {
        missed++;
        expect(atDeadline.map((r) => r.url).sort(), `period ${k}`).toEqual([...ladder].sort());
        for (const r of atDeadline) expect(phase(r.at) - window, `period ${k}`).toBeLessThanOrEqual(20 + STEP_MS);
        // The scout alone at the deadline, in the deadline lane; its siblings only once its answer was back.
        const asked = calls.filter((c) => c.at >= E0 + k * TD_MS + window && c.at < E0 + (k + 1) * TD_MS);
        const [first, ...siblings] = asked;
        expect(first?.url, `period ${k}`).toBe(ladder[0]);
        expect(first?.urgency, `period ${k}`).toBe(URGENCY.deadline);
        expect(siblings.map((c) => c.url).sort(), `period ${k}`).toEqual(ladder.slice(1).sort());
        for (const c of siblings) {
          expect(c.backBefore, `period ${k} ${c.url}`).toBeGreaterThan(first?.backBefore ?? Number.POSITIVE_INFINITY);
          // Learning on the scout's word, not in the deadline lane, although their own deadline has passed.
          expect(c.urgency, `period ${k} ${c.url}`).toBe(URGENCY.normal);
        }
      }
      for (const url of ladder) expect(inPeriod.filter((r) => r.url === url).at(-1)?.mediaSequence, `period ${k} ${url}`).toBe(newest);
    }
    // Both happen: late segments reach the deadline, the others are learned before it.
    expect(missed).toBeGreaterThan(0);
    expect(learned).toBeGreaterThan(0);
  });
});

describe('at the deadline', () => {
  // 540p: a sibling, fetched once the scout saw the new segment; 1080p: the scout itself (the first of the ladder).
  it.each(['540p', '1080p'])('fetches a frozen rendition (%s) at its deadline, ahead of the queue, and confirms it there', async (rendition) => {
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
    // From when its next segment was due: its learning fetch (nothing new), then at the deadline the first stale
    // look (ahead of the learning fetches queued for a slot) and its two confirmations (ahead of both).
    const after = renditionCalls(calls, frozen, newestEnd + TD_MS);
    expect(after.map((c) => c.urgency)).toEqual([URGENCY.normal, URGENCY.deadline, URGENCY.confirm, URGENCY.confirm]);
    const [learning, atDeadline] = after as [Call, Call];
    expect(learning.at).toBeLessThan(deadline);
    expect(atDeadline.at).toBeGreaterThanOrEqual(deadline);
    expect(atDeadline.at).toBeLessThanOrEqual(deadline + 20 + STEP_MS);
    expect(after.every((c) => c === learning || c.at === atDeadline.at)).toBe(true);
    expect(Date.parse((published[0] as Transition).detail.observedAt)).toBe(atDeadline.at);
  });

  it('with one slot held, starts a deadline fetch before the learning fetches queued ahead of it', async () => {
    const one = createFetcher({ concurrency: 1, timeoutMs: 1000 });
    const { fetcher, calls } = recording(one);
    const offset = (stream: string) => learningOffsetMs(origin.url(stream), TD_MS, STALE_AFTER);
    // Two paths (their offsets hash from the URL, port included): B with a frozen rendition, A learning later in the
    // period than B (its offset at least two steps on) and well over the blocker's 100 ms before its own deadline
    // (fake and real ms alike: a learning fetch still queued at its deadline would count as a deadline fetch).
    const names = Array.from({ length: 40 }, (_, i) => `s${rig.run}-${i}/primary`).sort((x, y) => offset(x) - offset(y));
    const b = names[0] as string;
    const a = names.find((s) => offset(s) > offset(b) + 2 * STEP_MS && offset(s) < (STALE_AFTER - 1) * TD_MS - 500);
    if (a === undefined) throw new Error('no stream name gives path A a later learning offset than B');
    const [pathA, pathB] = [probeOf(origin.url(a), fetcher), probeOf(origin.url(b), fetcher)];
    try {
      await runTo([pathA, pathB], rig.t); // cold start: the ladders and every rendition, fresh
      origin.set(b, { stallAt: rig.t }, '540p');
      const frozen = origin.url(b, '540p.m3u8');
      // B's learning: its scout sees the new segment, its siblings are fetched at once, the frozen one sees nothing new.
      const learnedB = E0 + TD_MS + offset(b) + STEP_MS;
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
      expect(atDeadline?.urgency).toBe(URGENCY.deadline);
      expect(learningAhead.length).toBeGreaterThan(0);
      expect(learningAhead.every((c) => c.urgency === URGENCY.normal)).toBe(true);
      // Asked for later, started first.
      for (const c of learningAhead) expect(atDeadline?.startedAt as number).toBeLessThan(c.startedAt as number);
    } finally {
      await one.close();
    }
  });
});

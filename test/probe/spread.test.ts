// The deadline schedule's learning fetches, on a loopback origin and a fake clock stepped 10 ms at a time. Segments
// start on the same instants for every stream (epoch-aligned), so a schedule keyed on the deadline alone would
// fetch every rendition of a fleet in the same step. Here: a fresh rendition is fetched once per segment, after
// its next segment should have appeared and before its deadline, at an offset of its own; a late segment costs a
// deadline fetch, and never a stale verdict; a frozen rendition is fetched at its deadline and confirmed there;
// with slots scarce, a deadline fetch starts before the learning fetches queued ahead of it.
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
}

/** A fetcher that records every request it is asked for, in that order. */
function recording(inner: Fetcher): { fetcher: Fetcher; calls: Call[] } {
  const calls: Call[] = [];
  const fetcher: Fetcher = {
    limit: inner.limit,
    close: () => inner.close(),
    async get(url, options) {
      const call: Call = { url, at: clock(), urgency: options?.urgency ?? URGENCY.normal };
      calls.push(call);
      const result = await inner.get(url, options);
      call.startedAt = result.startedAt;
      return result;
    },
  };
  return { fetcher, calls };
}

const probeOf = (url: string, fetcher: Fetcher) => new PathProbe(url, { fetcher, now: clock, staleAfterTargetDurations: STALE_AFTER, schedule: 'deadline' });

/** Steps the probe's clock to `until`, starting what is due at each step and waiting for it (follow-ups included). */
async function runTo(probe: PathProbe, until: number, report: (o: PathObservation) => void = () => {}): Promise<void> {
  for (; rig.t <= until; rig.t += STEP_MS)
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
  it('fetches a fresh rendition once per segment, after it should have appeared and before the deadline, each rendition at an offset of its own', async () => {
    const { fetcher, calls } = recording(rig.fetcher);
    const probe = probeOf(origin.url(`s${rig.run}/primary`), fetcher);
    await runTo(probe, E0 + 10 * TD_MS);
    const ladder = (probe.ladder ?? []).map((e) => e.url);
    expect(ladder).toHaveLength(6);
    const offsets = new Set<number>();
    for (const url of ladder) {
      // After the cold start: segment periods 1 to 9 (the deadline of the segment ending at E0 + k TD is E0 + (k + 1.5) TD).
      const later = renditionCalls(calls, url, E0 + TD_MS);
      const periods = later.map((c) => Math.floor((c.at - E0) / TD_MS));
      expect(periods, url).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const c of later) {
        // After the new segment appeared (on time here), before the old deadline (0.5 TD into the period): the
        // deadline of a rendition that learned its new segment has moved on, so it is never fetched there.
        expect(phase(c.at), url).toBeGreaterThan(0);
        expect(phase(c.at), url).toBeLessThan((STALE_AFTER - 1) * TD_MS);
        expect(c.urgency).toBe(URGENCY.normal);
      }
      // The same place in every period (a stable offset per URL), the place learningOffsetMs gives it.
      expect(new Set(later.map((c) => phase(c.at))).size, url).toBe(1);
      const offset = phase((later[0] as Call).at);
      expect(offset - learningOffsetMs(url, TD_MS, STALE_AFTER)).toBeGreaterThanOrEqual(0);
      expect(offset - learningOffsetMs(url, TD_MS, STALE_AFTER)).toBeLessThan(STEP_MS);
      offsets.add(offset);
    }
    // Spread: the renditions of one path are not all due in the same step.
    expect(offsets.size).toBeGreaterThan(1);
  });

  it('with segments up to half a target duration late, fetches at the deadline only a rendition whose learning fetch saw nothing new, and never calls it stale', async () => {
    const stream = `s${rig.run}/primary`;
    origin.set(stream, { jitter: 0.5 });
    const { fetcher, calls } = recording(rig.fetcher);
    const seen: Array<RenditionObservation & { at: number }> = [];
    const probe = probeOf(origin.url(stream), fetcher);
    await runTo(probe, E0 + 30 * TD_MS, (o) => seen.push(...o.fetched.map((r) => ({ ...r, at: rig.t }))));
    expect(seen.filter((r) => r.status !== 'fresh')).toEqual([]);
    let deadlineFetches = 0;
    let learned = 0;
    for (const url of (probe.ladder ?? []).map((e) => e.url)) {
      const mine = seen.filter((r) => r.url === url && r.at >= E0 + TD_MS);
      for (let i = 0; i < mine.length; i++) {
        const r = mine[i] as (typeof mine)[number];
        const previous = mine[i - 1];
        if (phase(r.at) < (STALE_AFTER - 1) * TD_MS) {
          learned++;
          continue;
        }
        // At the deadline (+ the 20 ms margin, within a step): right after a learning fetch of the same period
        // that still saw the previous segment.
        deadlineFetches++;
        expect(phase(r.at) - (STALE_AFTER - 1) * TD_MS, url).toBeLessThanOrEqual(20 + STEP_MS);
        expect(previous && Math.floor((previous.at - E0) / TD_MS) === Math.floor((r.at - E0) / TD_MS), url).toBe(true);
        expect(previous?.mediaSequence, url).toBe(r.mediaSequence === null ? null : r.mediaSequence - 1);
      }
    }
    // Both happen: late segments reach the deadline, the others are learned before it.
    expect(deadlineFetches).toBeGreaterThan(0);
    expect(learned).toBeGreaterThan(deadlineFetches);
    expect(renditionCalls(calls, origin.url(stream, '720p.m3u8')).length).toBeGreaterThan(0);
  });
});

describe('at the deadline', () => {
  it('fetches a frozen rendition at its deadline, ahead of the queue, and confirms it there', async () => {
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
    origin.set(`${news}/primary`, { stallAt: rig.t }, '540p');
    const frozen = origin.url(`${news}/primary`, '540p.m3u8');
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
    const stream = `s${rig.run}/primary`;
    const one = createFetcher({ concurrency: 1, timeoutMs: 300 });
    const { fetcher, calls } = recording(one);
    const probe = probeOf(origin.url(stream), fetcher);
    try {
      await runTo(probe, rig.t); // cold start: the ladder and every rendition, fresh
      const ladder = (probe.ladder ?? []).map((e) => e.url);
      // Freeze the rendition whose learning fetch comes first, so the others' are still to come when it is done.
      const offset = (url: string) => learningOffsetMs(url, TD_MS, STALE_AFTER);
      const frozen = [...ladder].sort((a, b) => offset(a) - offset(b))[0] as string;
      const others = ladder.filter((u) => u !== frozen && offset(u) > offset(frozen) + STEP_MS);
      expect(others.length).toBeGreaterThan(0);
      origin.set(stream, { stallAt: rig.t }, frozen.split('/').pop()?.replace('.m3u8', ''));
      await runTo(probe, E0 + TD_MS + offset(frozen) + STEP_MS);
      expect(renditionCalls(calls, frozen, E0 + TD_MS).map((c) => c.urgency)).toEqual([URGENCY.normal]);

      // The only slot is taken (a request left hanging) while the others' learning fetches fall due and queue, then
      // the frozen rendition's deadline passes.
      origin.set(`blocker-${rig.run}`, { hang: true });
      const blocker = one.get(origin.url(`blocker-${rig.run}`, '720p.m3u8'));
      const work: Array<Promise<void>> = [];
      const deadline = E0 + STALE_AFTER * TD_MS;
      for (; rig.t <= deadline + 20 + STEP_MS; rig.t += STEP_MS) work.push(...probe.dispatch(() => {}, rig.t));
      await blocker;
      await Promise.all(work);

      const queuedAfterBlock = calls.filter((c) => c.at > E0 + TD_MS + offset(frozen) + STEP_MS);
      const atDeadline = queuedAfterBlock.find((c) => c.url === frozen);
      const learningAhead = queuedAfterBlock.filter((c) => others.includes(c.url) && c.at < (atDeadline?.at ?? 0));
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

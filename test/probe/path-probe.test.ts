// The probe of one path against a real loopback origin serving a live ladder: ages per rendition, the
// oldest rendition deciding, errors and timeouts as evidence, tracking without PDT, regressions.
import { describe, expect, it } from 'vitest';
import { PathProbe } from '../../functions/domain/probe/index.js';
import { DEFAULT_LADDER } from '../../sandbox/testkit/live-origin.js';
import { liveRig } from './live-rig.js';

const rig = liveRig({ t0: '2025-03-01T12:00:00.400Z', segmentS: 1 });
const { origin, clock } = rig;
const T0 = rig.t0;
/** A stream of its own per test. */
const stream = (): string => `s${rig.run}/primary`;

const probeOf = (url = origin.url(stream()), options: { ladderRefreshTicks?: number } = {}) =>
  new PathProbe(url, { fetcher: rig.fetcher, now: clock, staleAfterTargetDurations: 1.5, ...options });

describe('PathProbe', () => {
  it('expands the multivariant playlist and measures every rendition by its own PDT', async () => {
    const obs = await probeOf().observe();
    expect(obs.format).toBe('hls-multivariant');
    expect(obs.renditions.map((r) => r.url)).toEqual(DEFAULT_LADDER.map((r) => origin.url(stream(), `${r}.m3u8`)));
    for (const r of obs.renditions) {
      expect(r.status).toBe('fresh');
      // The newest segment ends on the whole second before T0.
      expect(r.ageMs).toBe(400);
      expect(r.targetDuration).toBe(1);
      expect(r.thresholdMs).toBe(1500);
      expect(r.mediaSequence).toBe(Math.floor(T0 / 1000) - 1);
    }
    expect(obs.verdict).toBe('fresh');
    expect(obs.ageMs).toBe(400);
    expect(obs.fetches).toBe(1 + DEFAULT_LADDER.length);
    expect(obs.fetchErrors).toBe(0);
  });

  it('calls the path stale when ONE rendition freezes while the others advance', async () => {
    const probe = probeOf();
    await probe.observe();
    origin.set(stream(), { stallAt: rig.t }, '540p');
    rig.t += 2000;
    const obs = await probe.observe();
    const byName = Object.fromEntries(obs.renditions.map((r) => [r.url.split('/').pop(), r]));
    expect(byName['540p.m3u8']?.status).toBe('stale');
    expect(byName['540p.m3u8']?.ageMs).toBe(2400);
    expect(byName['1080p.m3u8']?.status).toBe('fresh');
    expect(byName['1080p.m3u8']?.ageMs).toBe(400);
    expect(obs.verdict).toBe('stale');
    expect(obs.ageMs).toBe(2400);
  });

  it('re-reads the multivariant playlist only every ladderRefreshTicks ticks', async () => {
    const probe = probeOf(undefined, { ladderRefreshTicks: 3 });
    for (let i = 0; i < 5; i++) {
      await probe.observe();
      rig.t += 1000;
    }
    // ticks 1 and 5 read it (after 3 ticks without).
    expect(origin.hits.get(`/${stream()}/index.m3u8`)).toBe(2);
    expect(origin.hits.get(`/${stream()}/720p.m3u8`)).toBe(5);
  });

  it('counts an HTTP error on a rendition as a stale tick, with the error as evidence', async () => {
    origin.set(stream(), { status: 503 }, '360p');
    const obs = await probeOf().observe();
    const bad = obs.renditions.find((r) => r.url.endsWith('/360p.m3u8'));
    expect(bad).toMatchObject({ status: 'error', httpStatus: 503, ageMs: null });
    expect(bad?.problems.map((p) => p.code)).toEqual(['http-error']);
    expect(obs.renditions.filter((r) => r.status === 'fresh')).toHaveLength(DEFAULT_LADDER.length - 1);
    expect(obs.verdict).toBe('stale');
    expect(obs.fetchErrors).toBe(1);
  });

  it('names a 401/403 as the origin refusing the probe (access-denied), not as an HTTP error', async () => {
    for (const status of [401, 403]) {
      origin.set(stream(), { status }, '360p');
      const obs = await probeOf().observe();
      const refused = obs.renditions.find((r) => r.url.endsWith('/360p.m3u8'));
      expect(refused, String(status)).toMatchObject({ status: 'error', httpStatus: status });
      expect(refused?.problems.map((p) => p.code)).toEqual(['access-denied']);
      expect(refused?.problems[0]?.message).toMatch(/refuses the probe/);
    }
  });

  it('reports a multivariant playlist that cannot be fetched as a stale path with the reason', async () => {
    origin.set(stream(), { status: 500 });
    const obs = await probeOf().observe();
    expect(obs.verdict).toBe('stale');
    expect(obs.renditions).toEqual([]);
    expect(obs.error).toMatch(/HTTP 500/);
    expect(obs.problems.map((p) => p.code)).toEqual(['http-error']);
  });

  it('turns a request with no answer into a timeout result, not a throw', async () => {
    origin.set(stream(), { hang: true }, '720p');
    const obs = await probeOf().observe();
    const hung = obs.renditions.find((r) => r.url.endsWith('/720p.m3u8'));
    expect(hung).toMatchObject({ status: 'error', httpStatus: 0 });
    expect(hung?.problems.map((p) => p.code)).toEqual(['timeout']);
    expect(obs.renditions.filter((r) => r.status === 'fresh')).toHaveLength(DEFAULT_LADDER.length - 1);
    expect(obs.verdict).toBe('stale');
  });

  it('without PDT, tracks the time since each rendition last advanced', async () => {
    origin.set(stream(), { pdt: false });
    const probe = probeOf();
    const first = await probe.observe();
    // One look at a playlist without a wall clock says nothing about its age.
    expect(first.renditions.every((r) => r.status === 'unknown' && r.ageMs === null)).toBe(true);
    expect(first.verdict).toBe('unknown');

    rig.t += 1000;
    const second = await probe.observe();
    expect(second.renditions.every((r) => r.advanced && r.ageMs === 0 && r.status === 'fresh')).toBe(true);
    expect(second.verdict).toBe('fresh');

    origin.set(stream(), { stallAt: rig.t }, '1080p');
    rig.t += 1000;
    await probe.observe();
    rig.t += 1000;
    const frozen = await probe.observe();
    const r1080 = frozen.renditions.find((r) => r.url.endsWith('/1080p.m3u8'));
    expect(r1080).toMatchObject({ advanced: false, ageMs: 2000, status: 'stale' });
    expect(frozen.verdict).toBe('stale');
  });

  it('reports a media sequence that goes backwards', async () => {
    const probe = probeOf();
    await probe.observe();
    origin.set(stream(), { regress: 3 }, '234p');
    const obs = await probe.observe();
    const r = obs.renditions.find((x) => x.url.endsWith('/234p.m3u8'));
    expect(r?.problems.map((p) => p.code)).toContain('media-sequence-regressed');
    expect(r?.mediaSequence).toBe(Math.floor(T0 / 1000) - 4);
  });

  it('probes a media playlist URL as a single rendition without fetching it twice', async () => {
    const url = origin.url(stream(), '720p.m3u8');
    const obs = await probeOf(url).observe();
    expect(obs.format).toBe('hls-media');
    expect(obs.renditions).toHaveLength(1);
    expect(obs.renditions[0]).toMatchObject({ url, status: 'fresh', ageMs: 400 });
    expect(obs.fetches).toBe(1);
    expect(origin.hits.get(`/${stream()}/720p.m3u8`)).toBe(1);
  });
});

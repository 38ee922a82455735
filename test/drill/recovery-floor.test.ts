// The floor under a world model: the earliest the last viewer can be back with triage, the execution and the
// KVS write taking no time. Values computed by hand from the models' numbers.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../sandbox/aws/faults.js';
import { quantileOfMaxUniform, recoveryFloor } from '../../sandbox/drill/recovery-floor.js';
import { parseScenario } from '../../sandbox/drill/scenario.js';
import { DEFAULT_MANIFEST_MAX_AGE_S } from '../../sandbox/media/origin.js';
import { DEFAULT_BUFFER_TARGET_DURATIONS, DEFAULT_WHEEL_SLOTS } from '../../sandbox/media/viewers.js';
import { drawMs, worldModel } from '../../sandbox/world-model.js';

const TD = 2;
const opts = { staleAfterTargetDurations: 1.5, manifestMaxAgeS: DEFAULT_MANIFEST_MAX_AGE_S, reloadSlots: DEFAULT_WHEEL_SLOTS, bufferTargetDurations: DEFAULT_BUFFER_TARGET_DURATIONS };

describe('recoveryFloor', () => {
  it('realistic: 1.5 TD until stale + 0.2 s on the bus + the last of 3 locations at 2-5 s + 0.4 TD until the last viewer retries its unchanged playlist', () => {
    const f = recoveryFloor(worldModel('realistic'), TD, opts);
    // The probe's Stale reaches triage 3 + 0.2 s after the newest media end at the earliest.
    // Both MediaLive alerts (2-30 s, 5 % dropped, + 0.2 s of bus) before it: (1 / 28 x 0.95)^2 = 0.001151.
    // p50 of the max of 3 U(2, 5) at 0.5 - 0.001151: 2 + 3 x 0.498849^(1/3) = 4.3793; p95: 2 + 3 x 0.948849^(1/3) = 4.9480.
    // Half a TD (5 of 10 slots) between reloads of an unchanged playlist, less one slot: 0.8 s.
    // The stall: with the last viewer back at 8.38 / 8.95 s, the viewer that ran dry first (6 s after the freeze)
    // stalled more than 2.38 / 2.95 s: 3 s, in whole half TDs.
    expect(f.terms).toEqual({
      staleS: 3, busS: 0.2, earliestAlertsS: 2.2, alertsFirstProbability: expect.closeTo(0.001151, 6), detectP50S: 3.2, detectP95S: 3.2,
      propagateP50S: expect.closeTo(4.3793, 4), propagateP95S: expect.closeTo(4.948, 4), reloadS: 0.8, nextSegmentS: 2, cacheUpToS: 1,
      bufferS: 6, stallP50S: 3, stallP95S: 3,
    });
    expect(f.p50S).toBeCloseTo(8.3793, 4);
    expect(f.p95S).toBeCloseTo(8.948, 4);
    expect(f.p50TD).toBeCloseTo(4.1896, 4);
    expect(f.p95TD).toBeCloseTo(4.474, 4);
  });

  it("ideal: the MediaLive alerts arrive at once and the KVS at its one location: the standby's next segment, then the last reload", () => {
    const f = recoveryFloor(worldModel('ideal'), TD, opts);
    expect(f.terms).toMatchObject({ staleS: 3, busS: 0, earliestAlertsS: 0, alertsFirstProbability: 1, detectP50S: 0, propagateP50S: 0, reloadS: 0.8, nextSegmentS: 2, stallP50S: 0, stallP95S: 0 });
    // no viewer has media newer than the frozen end before the standby's segment after it is complete, 1 TD later
    expect([f.p50S, f.p95S, f.p50TD, f.p95TD]).toEqual([2.8, 2.8, 1.4, 1.4]);
  });

  it('counts the alerts from the fault, which comes up to a segment after the newest media end', () => {
    // ideal: the alerts at the fault itself, 1.5 s after the newest media end
    const ideal = recoveryFloor(worldModel('ideal'), TD, { ...opts, faultAfterMediaEndS: 1.5 });
    expect(ideal.terms).toMatchObject({ earliestAlertsS: 1.5, alertsFirstProbability: 1, detectP50S: 1.5, detectP95S: 1.5 });
    expect(ideal.p50S).toBeCloseTo(2 + 0.8, 10); // the standby's next segment (2 s) still comes later
    // realistic: both alerts before the probe's Stale need both under 3.2 - 1.5 - 0.2 = 1.5 s, below their 2 s minimum: never
    const realistic = recoveryFloor(worldModel('realistic'), TD, { ...opts, faultAfterMediaEndS: 1.5 });
    expect(realistic.terms).toMatchObject({ earliestAlertsS: 3.7, alertsFirstProbability: 0, detectP95S: 3.2 });
  });

  it('takes detection at the alerts where they beat staleness more often than the quantile', () => {
    const w = worldModel('realistic', { mediaLiveEvents: { delayS: [1, 1], dropProbability: 0, duplicateProbability: 0 }, eventBridgeDelayS: [0, 0] });
    const f = recoveryFloor(w, TD, opts);
    expect(f.terms).toMatchObject({ alertsFirstProbability: 1, detectP50S: 1, detectP95S: 1, propagateP50S: expect.closeTo(4.3811, 4) });
    expect(f.p50S).toBeCloseTo(1 + 4.3811 + 0.8, 4);
  });

  it('follows the stream, the policy and the viewers it is given', () => {
    // Alerts no earlier than 5 s: staleness (3 s, + 0.2 s on the bus) always first. 2 locations at 1-3 s: p50 1 + 2 x sqrt(0.5) = 2.4142,
    // p95 1 + 2 x sqrt(0.95) = 2.9494; TD 1 s, stale after 3 TD, 4 slots: an unchanged playlist retried 2 slots
    // (0.5 s) later, 0.25 s after the last slot that fired before the location flipped
    const w = worldModel('realistic', { kvsPropagationS: [1, 3], edgeLocations: 2, mediaLiveEvents: { delayS: [5, 30], dropProbability: 0.05, duplicateProbability: 0 } });
    const f = recoveryFloor(w, 1, { staleAfterTargetDurations: 3, manifestMaxAgeS: 0.5, reloadSlots: 4, bufferTargetDurations: 3 });
    expect(f.terms.alertsFirstProbability).toBe(0);
    expect(f.p50S).toBeCloseTo(3 + 0.2 + 2.4142 + 0.25, 4);
    expect(f.p95S).toBeCloseTo(3 + 0.2 + 2.9494 + 0.25, 4);
    expect(f.p95TD).toBeCloseTo(f.p95S, 10);
  });

  it('the stall under the floor: the whole half TDs (less the buffer off the retry grid) the first viewer to run dry waits', () => {
    // One location at exactly `kvs` s, alerts never first: the floor is 3 + 0.2 + kvs + 0.8 s. The viewer that loaded its
    // first playlist as its newest segment appeared runs dry 6 s (its buffer) after the freeze, on one of its
    // reloads, and retries its unchanged playlist every half TD (1 s).
    const floorWith = (kvs: number, bufferTargetDurations = 3) =>
      recoveryFloor(worldModel('realistic', { kvsPropagationS: [kvs, kvs], edgeLocations: 1, mediaLiveEvents: { delayS: [50, 60], dropProbability: 0, duplicateProbability: 0 } }), TD, { ...opts, bufferTargetDurations });
    // back at 5 s: no viewer need have stalled
    expect(floorWith(1)).toMatchObject({ p95S: expect.closeTo(5, 10), terms: { stallP50S: 0, stallP95S: 0 } });
    // back at 6.8 s: more than 0.8 s stalled, in whole half TDs: 1 s
    expect(floorWith(2.8).terms.stallP95S).toBe(1);
    // back at 9.5 s: more than 3.5 s: 4 s
    expect(floorWith(5.5).terms.stallP95S).toBe(4);
    // a 2.25 TD buffer (4.5 s) runs dry 0.5 s off the retry grid: stalls of 0.5, 1.5, 2.5 s; back at 6.8 s, more than 2.3 s: 2.5 s
    expect(floorWith(2.8, 2.25).terms).toMatchObject({ bufferS: 4.5, stallP95S: 2.5 });
  });

  it('takes the world a scenario declares, with its overrides, as the drill does', () => {
    const base = { name: 'x', title: 't', description: 'd', timeline: [], expectations: [{ expect: 'no-failover' }] };
    const s = parseScenario({ ...base, world: 'ideal', worldOverrides: { kvsPropagationS: [5, 10], edgeLocations: 2 } }, 'x.yml');
    // 2 locations at 5-10 s: p50 5 + 5 x sqrt(0.5) = 8.5355 after the alerts at once; then the 0.8 s reload
    const f = recoveryFloor(worldModel(s.world, s.worldOverrides), TD, opts);
    expect(f.p50S).toBeCloseTo(8.5355 + 0.8, 4);
  });

  it('the closed form matches the max of the per-location draws the edge locations make', () => {
    const random = seededRandom(42);
    const n = 3;
    const maxima = Array.from({ length: 20_000 }, () => Math.max(...Array.from({ length: n }, () => drawMs([2, 5], random) / 1000))).sort((a, b) => a - b);
    for (const p of [0.5, 0.95]) expect(maxima[Math.floor(p * maxima.length)]!).toBeCloseTo(quantileOfMaxUniform([2, 5], n, p), 1);
  });
});

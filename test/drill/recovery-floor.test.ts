// The floor under a world model: the earliest the last viewer can be back with triage, the execution and the
// KVS write taking no time. Values computed by hand from the models' numbers.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../sandbox/aws/faults.js';
import { quantileOfMaxUniform, recoveryFloor } from '../../sandbox/drill/recovery-floor.js';
import { parseScenario } from '../../sandbox/drill/scenario.js';
import { DEFAULT_MANIFEST_MAX_AGE_S } from '../../sandbox/media/origin.js';
import { DEFAULT_WHEEL_SLOTS } from '../../sandbox/media/viewers.js';
import { drawMs, worldModel } from '../../sandbox/world-model.js';

const TD = 2;
const opts = { staleAfterTargetDurations: 1.5, manifestMaxAgeS: DEFAULT_MANIFEST_MAX_AGE_S, reloadSlots: DEFAULT_WHEEL_SLOTS };

describe('recoveryFloor', () => {
  it('realistic: 1.5 TD until stale + the last of 3 locations at 2-5 s + 0.9 TD until the last of 10 reload slots', () => {
    const f = recoveryFloor(worldModel('realistic'), TD, opts);
    // p50 of the max of 3 U(2, 5): 2 + 3 x 0.5^(1/3) = 4.3811; p95: 2 + 3 x 0.95^(1/3) = 4.9491; reload 0.9 x 2 s
    expect(f.terms).toEqual({ detectS: 3, propagateP50S: expect.closeTo(4.3811, 4), propagateP95S: expect.closeTo(4.9491, 4), reloadS: 1.8, cacheUpToS: 1 });
    expect(f.p50S).toBeCloseTo(9.1811, 4);
    expect(f.p95S).toBeCloseTo(9.7491, 4);
    expect(f.p50TD).toBeCloseTo(4.5906, 4);
    expect(f.p95TD).toBeCloseTo(4.8746, 4);
  });

  it('ideal: KVS at once at its one location, so only staleness and the last reload remain', () => {
    const f = recoveryFloor(worldModel('ideal'), TD, opts);
    expect(f.terms).toEqual({ detectS: 3, propagateP50S: 0, propagateP95S: 0, reloadS: 1.8, cacheUpToS: 1 });
    expect([f.p50S, f.p95S, f.p50TD, f.p95TD]).toEqual([4.8, 4.8, 2.4, 2.4]);
  });

  it('follows the stream, the policy and the viewers it is given', () => {
    // 2 locations at 1-3 s: p50 1 + 2 x sqrt(0.5) = 2.4142, p95 1 + 2 x sqrt(0.95) = 2.9494; TD 1 s, stale after 3 TD, 4 slots
    const f = recoveryFloor(worldModel('realistic', { kvsPropagationS: [1, 3], edgeLocations: 2 }), 1, { staleAfterTargetDurations: 3, manifestMaxAgeS: 0.5, reloadSlots: 4 });
    expect(f.p50S).toBeCloseTo(3 + 2.4142 + 0.75, 4);
    expect(f.p95S).toBeCloseTo(3 + 2.9494 + 0.75, 4);
    expect(f.p95TD).toBeCloseTo(f.p95S, 10);
  });

  it('takes the world a scenario declares, with its overrides, as the drill does', () => {
    const base = { name: 'x', title: 't', description: 'd', timeline: [], expectations: [{ expect: 'no-failover' }] };
    const s = parseScenario({ ...base, world: 'ideal', worldOverrides: { kvsPropagationS: [5, 10], edgeLocations: 2 } }, 'x.yml');
    // 2 locations at 5-10 s: p50 5 + 5 x sqrt(0.5) = 8.5355; on top of the ideal 4.8 s
    const f = recoveryFloor(worldModel(s.world, s.worldOverrides), TD, opts);
    expect(f.p50S).toBeCloseTo(4.8 + 8.5355, 4);
  });

  it('the closed form matches the max of the per-location draws the edge locations make', () => {
    const random = seededRandom(42);
    const n = 3;
    const maxima = Array.from({ length: 20_000 }, () => Math.max(...Array.from({ length: n }, () => drawMs([2, 5], random) / 1000))).sort((a, b) => a - b);
    for (const p of [0.5, 0.95]) expect(maxima[Math.floor(p * maxima.length)]!).toBeCloseTo(quantileOfMaxUniform([2, 5], n, p), 1);
  });
});

// Chaos drills: random fault schedules over one channel, built from the scenario actions (pipeline failures
// and recoveries, flaps, AWS API faults, late and duplicated events, operator requests), each run through the
// real drill runner and judged by the invariants I1-I7. Shared by `flatline drill --chaos N` and the property
// test (test/drill/chaos.test.ts). A schedule is a plain Scenario: a failing one prints as scenario YAML that
// `flatline drill --scenario <file>` replays (its `seed` fixes the world's random draws too).
import fc from 'fast-check';
import { Document, isMap, isSeq } from 'yaml';
import type { DrillReport } from './report.js';
import { parseScenario, type Scenario, type ScenarioAction } from './scenario.js';

/** The channel every chaos drill breaks: warm standby, and the channel the sample event files name. */
export const CHAOS_CHANNEL = 'news-1';
/** Faults land within this many seconds of t = 0: short drills keep a run of cases within CI's budget. */
const HORIZON_S = 6;
/** After the last action, time for flatline to answer it (a failover takes ~8 TD under the realistic world). */
const TAIL_S = 30;

const at = fc.integer({ min: 0, max: HORIZON_S });
const duration = fc.integer({ min: 2, max: 8 });

/** One fault or request; some are a pair (a failure and its recovery). */
const fault: fc.Arbitrary<ScenarioAction[]> = fc.oneof(
  // The primary's output dies (both pipelines), and maybe comes back.
  fc.record({ at, recoverAfter: fc.option(duration, { nil: undefined }) }).map(({ at: t, recoverAfter }): ScenarioAction[] => [
    { at: t, action: 'fail-pipeline', side: 'primary', pipeline: 'both' },
    ...(recoverAfter === undefined ? [] : [{ at: t + recoverAfter, action: 'recover-pipeline' as const, side: 'primary' as const, pipeline: 'both' as const }]),
  ]),
  // The standby's output dies (both pipelines), maybe after the primary's, late enough to carry the viewers
  // by then (a failover takes ~8 TD), and maybe comes back: flatline fails back to a fresh primary, or puts
  // the slate on.
  fc.record({ at, primaryFirst: fc.boolean(), later: fc.integer({ min: 0, max: 16 }), recoverAfter: fc.option(duration, { nil: undefined }) }).map(({ at: t, primaryFirst, later, recoverAfter }): ScenarioAction[] => [
    ...(primaryFirst ? [{ at: t, action: 'fail-pipeline' as const, side: 'primary' as const, pipeline: 'both' as const }] : []),
    { at: t + later, action: 'fail-pipeline', side: 'standby', pipeline: 'both' },
    ...(recoverAfter === undefined ? [] : [{ at: t + later + recoverAfter, action: 'recover-pipeline' as const, side: 'standby' as const, pipeline: 'both' as const }]),
  ]),
  // One pipeline blips: the other keeps the manifest advancing.
  fc.record({ at, pipeline: fc.constantFrom(0 as const, 1 as const), recoverAfter: duration }).map(({ at: t, pipeline, recoverAfter }): ScenarioAction[] => [
    { at: t, action: 'fail-pipeline', side: 'primary', pipeline },
    { at: t + recoverAfter, action: 'recover-pipeline', side: 'primary', pipeline },
  ]),
  fc.record({ at, periodSeconds: fc.integer({ min: 4, max: 8 }), forSeconds: fc.integer({ min: 4, max: 12 }) }).map((f): ScenarioAction[] => [{ ...f, action: 'flap', side: 'primary' }]),
  // AWS API faults, on one service or on all of them, for a while.
  fc
    .record({
      at,
      service: fc.constantFrom(undefined, 'medialive' as const, 'cloudfront' as const, 'cloudfront-keyvaluestore' as const, 'states' as const, 'sns' as const),
      kind: fc.constantFrom('throttle' as const, '5xx' as const, 'latency' as const),
      probability: fc.constantFrom(0.1, 0.2, 0.3),
      latencyMs: fc.integer({ min: 100, max: 1500 }),
      clearAfter: duration,
    })
    .map(({ at: t, service, kind, probability, latencyMs, clearAfter }): ScenarioAction[] => [
      { at: t, action: 'aws-fault', kind, probability, ...(service ? { service } : {}), ...(kind === 'latency' ? { latencyMs } : {}) },
      { at: t + clearAfter, action: 'clear-aws-faults' },
    ]),
  // MediaLive's own events from now on: late, lost, duplicated.
  fc
    .record({ at, min: fc.integer({ min: 0, max: 10 }), extra: fc.integer({ min: 0, max: 20 }), dropProbability: fc.constantFrom(0, 0.1, 0.3), duplicateProbability: fc.constantFrom(0, 0.2, 0.5) })
    .map(({ at: t, min, extra, dropProbability, duplicateProbability }): ScenarioAction[] => [
      { at: t, action: 'medialive-events', delaySeconds: [min, min + extra], dropProbability, duplicateProbability },
    ]),
  // Duplicated (and old: the sample files carry their own past times) signals about the channel.
  fc
    .record({
      at,
      file: fc.constantFrom('events/probe-manifest-stale.json', 'events/cloudwatch-alarm-manifest-age-primary.json', 'events/medialive-alert-pipeline0-set.json', 'events/probe-manifest-fresh.json'),
      count: fc.integer({ min: 1, max: 20 }),
      overSeconds: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ at: t, file, count, overSeconds }): ScenarioAction[] => [{ at: t, action: 'put-events', files: [file], count, overSeconds }]),
  // Operator requests: a failback, or a failover (events/ops-failover-requested.json names the channel).
  at.map((t): ScenarioAction[] => [{ at: t, action: 'request-failback', reason: 'chaos: operator asks for the primary' }]),
  at.map((t): ScenarioAction[] => [{ at: t, action: 'put-events', files: ['events/ops-failover-requested.json'], count: 1, overSeconds: 0 }]),
);

/** A random chaos scenario: one to four faults over the channel, a short dwell, a seed for the world's draws. */
export function chaosScenario(opts: { viewers?: number } = {}): fc.Arbitrary<Scenario> {
  return fc
    .record({
      faults: fc.array(fault, { minLength: 1, maxLength: 4 }),
      failback: fc.constantFrom('manual', 'automatic'),
      minDwellSeconds: fc.integer({ min: 2, max: 8 }),
      seed: fc.integer({ min: 1, max: 999_999 }),
    })
    .map(({ faults, failback, minDwellSeconds, seed }) => {
      const timeline = faults.flat().sort((a, b) => a.at - b.at);
      const lastAt = Math.max(...timeline.map((a) => a.at));
      return parseScenario(
        {
          name: `chaos-${seed}`,
          title: `Chaos: ${timeline.map((a) => a.action).join(', ')}`,
          description: 'A random fault schedule (sandbox/drill/chaos.ts); the drill must keep the invariants I1-I7.',
          channel: CHAOS_CHANNEL,
          viewers: opts.viewers ?? 20,
          warmupSeconds: 2,
          maxSeconds: lastAt + TAIL_S,
          policy: { failback, minDwellSeconds },
          seed,
          timeline,
          expectations: [{ expect: 'invariants' }],
        },
        'chaos generator',
      );
    });
}

/** The scenario as a file `flatline drill --scenario <file>` replays. */
export function scenarioYaml(s: Scenario): string {
  const doc = new Document(s);
  // One line per action and per expectation, as the shipped scenarios are written.
  for (const key of ['timeline', 'expectations']) {
    const list = doc.get(key);
    if (isSeq(list)) for (const item of list.items) if (isMap(item)) item.flow = true;
  }
  return doc.toString({ lineWidth: 0 });
}

/** What broke in a chaos report, one line per broken invariant (or the crash). */
export function brokenInvariants(r: DrillReport): string[] {
  const broken = (r.invariants ?? []).filter((i) => !i.pass).map((i) => `${i.id} ${i.wording}: ${i.detail}`);
  return r.error ? [`the drill broke: ${r.error}`, ...broken] : broken;
}

export interface ChaosCase {
  /** 0-based index of the case in the run: `--seed S` and this index name it. */
  index: number;
  scenario: Scenario;
  report: DrillReport;
  held: boolean;
}

/** The n schedules of a run: the same seed gives the same schedules. */
export const chaosSchedules = (n: number, seed: number, viewers?: number): Scenario[] => fc.sample(chaosScenario(viewers === undefined ? {} : { viewers }), { numRuns: n, seed });

/** Runs n chaos cases, one after the other, through `run` (the drill runner). */
export async function runChaos(
  o: { cases: number; seed: number; viewers?: number; onCase?: (c: ChaosCase) => void },
  run: (s: Scenario) => Promise<DrillReport>,
): Promise<ChaosCase[]> {
  const out: ChaosCase[] = [];
  for (const [index, scenario] of chaosSchedules(o.cases, o.seed, o.viewers).entries()) {
    const report = await run(scenario);
    const c = { index, scenario, report, held: brokenInvariants(report).length === 0 };
    out.push(c);
    o.onCase?.(c);
  }
  return out;
}

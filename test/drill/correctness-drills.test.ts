// The correctness drills, each run end to end in the embedded sandbox (real probe, triage, state machines,
// steps and edge function, realistic world): every expectation of the scenario must hold, except the timing
// ones, which `npm run bench` measures (a loaded CI machine must not fail a correctness test).
import { describe, expect, it } from 'vitest';
import { runDrill } from '../../sandbox/drill/runner.js';
import { loadScenario } from '../../sandbox/drill/scenario.js';

const TIMING = new Set(['failover', 'longest-stall', 'viewer-stall']);

/** The scenarios that drill flatline's correctness under real failures (one per failure mode). */
const CORRECTNESS_SCENARIOS = [
  'outage-during-dwell',
  'late-event',
  'start-execution-fails',
  'execution-outlives-lock',
  'durable-path-fails',
  'region-blackhole',
  'slate-then-primary-returns',
  'slate-then-standby-returns',
  'probe-down',
] as const;

describe('correctness drills', () => {
  it.each(CORRECTNESS_SCENARIOS)('%s: every expectation holds', { timeout: 180_000 }, async (name) => {
    const scenario = loadScenario(name);
    const report = await runDrill(scenario, { viewers: 100 });
    expect(report.error).toBeUndefined();
    // report.expectations[i] judges scenario.expectations[i]
    expect(report.expectations).toHaveLength(scenario.expectations.length);
    const failed = report.expectations.filter(
      (e, i) => !e.pass && !TIMING.has(scenario.expectations[i]!.expect),
    );
    expect(failed).toEqual([]);
  });
});

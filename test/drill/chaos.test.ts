// The property: whatever random fault schedule hits a channel (sandbox/drill/chaos.ts), a drill through the
// real runner keeps the invariants I1-I7. Seeded and reproducible: FLATLINE_CHAOS_SEED fixes the seed,
// FLATLINE_CHAOS_RUNS the number of cases; a failure prints fast-check's seed and the schedule as scenario YAML
// (`flatline drill --scenario <file>` replays it). Then `flatline drill --chaos` itself, on one case.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { run as drillCommand } from '../../cli/commands/drill.js';
import { brokenInvariants, chaosSchedules, chaosScenario, scenarioYaml } from '../../sandbox/drill/chaos.js';
import { runDrill } from '../../sandbox/drill/runner.js';
import { loadScenario } from '../../sandbox/drill/scenario.js';

const seed = process.env.FLATLINE_CHAOS_SEED === undefined ? undefined : Number(process.env.FLATLINE_CHAOS_SEED);
const numRuns = Number(process.env.FLATLINE_CHAOS_RUNS ?? 6);
/** Each case is a short drill (about 6 s of faults, then up to 30 s for flatline to answer), plus its rig. */
const CASE_BUDGET_MS = 75_000;

describe('chaos drills', () => {
  it('a seed gives the same schedules, and a schedule printed as YAML replays as the same scenario', () => {
    const a = chaosSchedules(5, 1234);
    expect(chaosSchedules(5, 1234)).toEqual(a);
    expect(chaosSchedules(5, 1235)).not.toEqual(a);
    const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
    for (const [i, s] of a.entries()) {
      expect(s.expectations).toEqual([{ expect: 'invariants' }]);
      expect(s.timeline.length).toBeGreaterThan(0);
      const file = join(dir, `case-${i}.yml`);
      writeFileSync(file, scenarioYaml(s));
      expect(loadScenario(file)).toEqual(s);
    }
  });

  it(
    `random fault schedules keep I1-I7 (${numRuns} cases${seed === undefined ? '' : `, seed ${seed}`})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(chaosScenario({ viewers: 10 }), async (scenario) => {
          const report = await runDrill(scenario);
          const broken = brokenInvariants(report);
          if (broken.length)
            throw new Error(`invariants broken:\n  ${broken.join('\n  ')}\nreplay: save the YAML below to a file, then flatline drill --scenario <file>\n${scenarioYaml(scenario)}`);
        }),
        // A drill is expensive: no shrinking (fast-check's seed and path, and the YAML, name the case).
        { numRuns, endOnFailure: true, ...(seed === undefined ? {} : { seed }) },
      );
    },
    numRuns * CASE_BUDGET_MS,
  );

  it('flatline drill --chaos 1 --seed S runs one case and says whether it held every invariant', async () => {
    const out: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void out.push(args.join(' '));
    let code: number;
    try {
      code = await drillCommand(['--chaos', '1', '--seed', '7', '--viewers', '10']);
    } finally {
      console.log = log;
    }
    const text = out.join('\n');
    expect(text).toMatch(/chaos: 1 random fault schedules, seed 7/);
    const held = /(\d)\/1 chaos drills held every invariant \(seed 7\)/.exec(text);
    expect(held).not.toBeNull();
    expect(code).toBe(held![1] === '1' ? 0 : 1);
    // A broken case prints the scenario it ran, replayable.
    if (held![1] === '0') expect(text).toMatch(/^name: chaos-\d+$/m);
    await expect(drillCommand(['--chaos', '0'])).resolves.toBe(2);
    await expect(drillCommand(['--chaos', '2', '--all'])).resolves.toBe(2);
  }, CASE_BUDGET_MS);
});

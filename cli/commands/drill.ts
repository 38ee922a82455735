// `flatline drill`: break a channel on purpose and measure how flatline saves its viewers.
// In the embedded sandbox by default; with --aws, a real game day on a deployed stage.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InvalidInputError } from '../../functions/domain/errors.js';
import { renderHtml } from '../../sandbox/drill/html.js';
import { formatSummary, type DrillReport } from '../../sandbox/drill/report.js';
import { listScenarios, loadScenario } from '../../sandbox/drill/scenario.js';
import type { DrillProgress } from '../../sandbox/drill/runner.js';
import type { ChaosCase } from '../../sandbox/drill/chaos.js';
import { parseCommandArgs } from '../args.js';

export const summary = 'break a channel on purpose (sandbox, or --aws) and report how flatline saved its viewers';

const USAGE = `usage: flatline drill [--scenario <name|file> | --all] [--viewers N] [--world realistic|ideal] [--seed N]
                      [--json <file>] [--html <file>] [--verbose]
       flatline drill --chaos N [--seed S] [--viewers N]   N random fault schedules, each judged by the invariants I1-I7
       flatline drill --aws --stage <stage> --channel <id> --scenario primary-flatline [--yes] [--plan]
                      [--region <control-plane region>] [--timeout 5m] [--json <file>] [--html <file>]
scenarios: ${listScenarios().join(', ')}`;

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

const fmtAge = (v: number | null | undefined): string => (v === null || v === undefined ? '   -  ' : `${v.toFixed(1).padStart(5)}s`);

/** One progress line on stderr: redrawn in place on a terminal, appended (throttled) otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: DrillProgress) => void {
  let last = 0;
  return (p) => {
    const line = `[${p.t.toFixed(1).padStart(5)}s] ${p.phase.padEnd(8)} edge ${fmtAge(p.ages.edge)} primary ${fmtAge(p.ages.primary)} standby ${fmtAge(p.ages.standby)}  stalled ${(p.stalledShare * 100).toFixed(0).padStart(3)}%  ${p.step ?? ''}`;
    if (stream.isTTY) stream.write(`\r\x1b[2K${line}`);
    else if (Date.now() - last >= 1000 || p.phase !== 'drill') {
      last = Date.now();
      stream.write(`${line}\n`);
    }
  };
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseCommandArgs('drill', args, {
      scenario: { type: 'string' },
      all: { type: 'boolean' },
      viewers: { type: 'string' },
      world: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
      aws: { type: 'boolean' },
      stage: { type: 'string' },
      channel: { type: 'string' },
      region: { type: 'string' },
      yes: { type: 'boolean' },
      plan: { type: 'boolean' },
      timeout: { type: 'string' },
      verbose: { type: 'boolean' },
      chaos: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (values.aws) {
      const { runAwsDrillCommand } = await import('../gameday/aws-drill.js');
      return await runAwsDrillCommand(values);
    }
    if (values.chaos !== undefined && (values.all || values.scenario)) throw new InvalidInputError('flatline drill: --chaos excludes --scenario and --all');
    if (values.all && values.scenario) throw new InvalidInputError('flatline drill: --scenario and --all exclude each other');
    let viewers: number | undefined;
    if (values.viewers !== undefined) {
      viewers = Number(values.viewers);
      if (!Number.isInteger(viewers) || viewers < 0) throw new InvalidInputError(`flatline drill: --viewers must be a whole number, got "${values.viewers}"`);
    }
    // The scenario's world model and seed, or these: a bench row is reproduced by its scenario, model and seed.
    if (values.world !== undefined && values.world !== 'realistic' && values.world !== 'ideal') throw new InvalidInputError(`flatline drill: --world must be realistic or ideal, got "${values.world}"`);
    const world = values.world;
    let seed: number | undefined;
    if (values.seed !== undefined) {
      seed = Number(values.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new InvalidInputError(`flatline drill: --seed must be a whole number, got "${values.seed}"`);
    }
    if (!values.verbose) {
      // The real handlers log JSON and print EMF metrics to stdout, as in Lambda: keep the drill's output readable.
      process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
      process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    }
    if (values.chaos !== undefined) return await runChaosCommand(values.chaos, values.seed, viewers);
    const names = values.all ? listScenarios() : [values.scenario ?? 'primary-flatline'];
    const scenarios = names.map((n) => loadScenario(n));
    const { runDrill } = await import('../../sandbox/drill/runner.js');
    const reports: DrillReport[] = [];
    const printer = progressPrinter();
    for (const scenario of scenarios) {
      process.stderr.write(`drill ${scenario.name}: ${scenario.title}\n`);
      const report = await runDrill(scenario, { ...(viewers === undefined ? {} : { viewers }), ...(world ? { world } : {}), ...(seed === undefined ? {} : { seed }), onProgress: printer });
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.log(formatSummary(report));
      reports.push(report);
    }
    if (values.json) write(values.json, `${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
    if (values.html) {
      if (reports.length === 1) write(values.html, renderHtml(reports[0]!));
      else for (const r of reports) write(values.html.replace(/(\.html?)?$/, `-${r.scenario.name}$1`), renderHtml(r));
    }
    const failed = reports.filter((r) => !r.passed);
    if (reports.length > 1) console.log(`\n${reports.length - failed.length}/${reports.length} drills passed${failed.length ? `; failed: ${failed.map((r) => r.scenario.name).join(', ')}` : ''}`);
    return failed.length ? 1 : 0;
  } catch (err) {
    if (err instanceof InvalidInputError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}

const wholeNumber = (flag: string, raw: string, min: number): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new InvalidInputError(`flatline drill: ${flag} must be a whole number >= ${min}, got "${raw}"`);
  return n;
};

/** `--chaos N [--seed S]`: N random schedules; prints how many held every invariant, and each failure as a replayable scenario. */
async function runChaosCommand(rawCases: string, rawSeed: string | undefined, viewers: number | undefined): Promise<number> {
  const cases = wholeNumber('--chaos', rawCases, 1);
  const seed = rawSeed === undefined ? Math.floor(Math.random() * 0x7fffffff) : wholeNumber('--seed', rawSeed, 0);
  const { runChaos, scenarioYaml, brokenInvariants } = await import('../../sandbox/drill/chaos.js');
  const { runDrill } = await import('../../sandbox/drill/runner.js');
  console.log(`chaos: ${cases} random fault schedules, seed ${seed} (replay the run with --chaos ${cases} --seed ${seed})`);
  const print = (c: ChaosCase): void => {
    console.log(`${c.held ? 'HELD' : 'BROKEN'}  case ${c.index} (seed ${seed}): ${c.scenario.title}`);
    if (c.held) return;
    for (const line of brokenInvariants(c.report)) console.log(`    ${line}`);
    console.log(`  replay: the YAML below (to the line "# end of case ${c.index}") in a file, then flatline drill --scenario <file>\n${scenarioYaml(c.scenario)}# end of case ${c.index}`);
  };
  const results = await runChaos({ cases, seed, ...(viewers === undefined ? {} : { viewers }), onCase: print }, (s) => {
    process.stderr.write(`chaos case: ${s.title}\n`);
    return runDrill(s);
  });
  const held = results.filter((c) => c.held).length;
  console.log(`\n${held}/${cases} chaos drills held every invariant (seed ${seed})`);
  return held === cases ? 0 : 1;
}

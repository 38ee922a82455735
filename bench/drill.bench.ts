// The drill suite as a benchmark: every scenario in the embedded sandbox, against these goals.
// Warm standby: viewers back on fresh manifests within 4 target durations of the primary freezing;
// detection within staleAfter + consecutive x tick; the default drill under 60 s of wall time; the whole
// suite under 5 minutes on this 2-core machine.
import { performance } from 'node:perf_hooks';
import { runDrill } from '../sandbox/drill/runner.js';
import { listScenarios, loadScenario } from '../sandbox/drill/scenario.js';
import type { BenchRow, BenchSection } from './types.js';

export async function run(): Promise<BenchSection> {
  // The handlers log and print EMF to stdout as in Lambda; the bench prints rows.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const started = performance.now();
  for (const name of listScenarios()) {
    const report = await runDrill(loadScenario(name));
    const s = report.summary;
    const failed = report.expectations.filter((e) => !e.pass).map((e) => e.expectation);
    rows.push({
      name: `drill ${name}: wall time`,
      value: Number(s.wallSeconds.toFixed(1)),
      unit: 's',
      ratio: report.passed ? 'expectations PASS' : `expectations FAIL (${failed.length})`,
      goal: '< 60 s',
      pass: s.wallSeconds < 60 && report.passed,
    });
    if (failed.length) notes.push(`${name}: ${failed.join('; ')}${report.error ? `; error: ${report.error}` : ''}`);
    for (const g of s.goals) {
      if (g.name === 'drill wall time') continue;
      rows.push({ name: `drill ${name}: ${g.name}`, value: Number.parseFloat(g.value), unit: g.value.replace(/^[\d.]+\s*/, ''), goal: g.goal, pass: g.pass });
    }
    if (name === 'primary-flatline') {
      rows.push({ name: 'primary-flatline: longest stall a viewer saw', value: Number(s.longestStallTD.toFixed(2)), unit: 'TD', ratio: `rebuffer ratio ${(s.rebufferRatio * 100).toFixed(2)} %, ${s.viewers} viewers` });
    }
  }
  const total = (performance.now() - started) / 1000;
  rows.push({ name: `whole suite (${listScenarios().length} drills)`, value: Number(total.toFixed(1)), unit: 's', goal: '< 300 s', pass: total < 300 });
  return { title: 'Game-day drills in the embedded sandbox (1,000 viewers unless the scenario says otherwise)', rows, notes };
}

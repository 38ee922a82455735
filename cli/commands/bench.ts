import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSection } from '../../bench/types.js';
import { parseCommandArgs } from '../args.js';

export const summary = 'run the benchmarks (bench/*.bench.ts) and print ratios against the peers they name';

const USAGE = 'usage: flatline bench [<section>... | --only <section>...] [--json <file>]   (sections: bench/<section>.bench.ts)';

const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/flatline.js', import.meta.url));

const verdictOf = (pass: boolean | undefined): string => (pass === undefined ? '' : pass ? '  PASS' : '  MISS');

/** A section's table: columns padded to their widest cell; returns the rows that missed their goal. */
function printTable(table: NonNullable<BenchSection['table']>): number {
  const widths = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((r) => (r.cells[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`  ${line(table.columns)}`);
  for (const row of table.rows) console.log(`  ${line(row.cells)}  ${row.goal ? `goal ${row.goal}` : ''}${verdictOf(row.pass)}`);
  return table.rows.filter((r) => r.pass === false).length;
}

/** Prints a section (its table, then its rows and notes); returns how many of its goals were missed. */
export function printSection(section: BenchSection): number {
  let missed = 0;
  console.log(`\n== ${section.title}`);
  if (section.table) missed += printTable(section.table);
  for (const row of section.rows) {
    const verdict = verdictOf(row.pass);
    if (row.pass === false) missed++;
    // NaN (nothing measured) arrives as null through JSON.
    const value = row.value === null || !Number.isFinite(row.value) ? 'n/a' : `${Number.isInteger(row.value) ? row.value : row.value.toFixed(2)} ${row.unit}`;
    console.log(`  ${row.name.padEnd(52)} ${value.padStart(16)}  ${(row.ratio ?? '').padEnd(36)} ${row.goal ? `goal ${row.goal}` : ''}${verdict}`);
  }
  for (const note of section.notes ?? []) console.log(`  note: ${note}`);
  return missed;
}

/** Runs one section in this process and writes it to `out` as JSON. */
async function runSection(name: string, out: string | undefined): Promise<BenchSection> {
  const mod = (await import(`../../bench/${name}.bench.ts`)) as { run(): Promise<BenchSection> };
  const section = await mod.run();
  if (out) writeFileSync(out, JSON.stringify(section));
  return section;
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandArgs('bench', args, { json: { type: 'string' }, section: { type: 'string' }, only: { type: 'string', multiple: true } });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  // Internal: the parent runs each section in a child process of its own.
  if (values.section) {
    await runSection(values.section, values.json);
    return 0;
  }
  const known = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .sort();
  // `flatline bench drill probe` and `flatline bench --only drill` are the same filter.
  const wanted = [...positionals, ...(values.only ?? [])];
  const unknown = wanted.filter((n) => !known.includes(n));
  if (unknown.length) {
    console.error(`flatline bench: unknown section ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${known.join(', ')}\n${USAGE}`);
    return 2;
  }
  const names = known.filter((n) => wanted.length === 0 || wanted.includes(n));
  // Each section runs in a fresh process: one section's heap, JIT state or lingering sockets never skew the next.
  const dir = mkdtempSync(join(tmpdir(), 'flatline-bench-'));
  const sections: BenchSection[] = [];
  let missed = 0;
  try {
    for (const name of names) {
      const out = join(dir, `${name}.json`);
      const child = spawnSync(process.execPath, [bin, 'bench', '--section', name, '--json', out], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (child.status !== 0) {
        console.error(`bench ${name}: exited with ${child.status ?? child.signal}`);
        return 1;
      }
      const section = JSON.parse(readFileSync(out, 'utf8')) as BenchSection;
      sections.push(section);
      missed += printSection(section);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(sections, null, 2));
  console.log(`\n${sections.length} sections, ${missed} goals missed`);
  // A missed goal fails the run (CI and `npm run bench` exit non-zero).
  return missed > 0 ? 1 : 0;
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSection } from '../../bench/types.js';
import { parseCommandArgs } from '../args.js';

export const summary = 'run the benchmarks (bench/*.bench.ts) and print ratios against the peers they name';

const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/flatline.js', import.meta.url));

function print(section: BenchSection): number {
  let missed = 0;
  console.log(`\n== ${section.title}`);
  for (const row of section.rows) {
    const verdict = row.pass === undefined ? '' : row.pass ? '  PASS' : '  MISS';
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
  const { values, positionals } = parseCommandArgs('bench', args, { json: { type: 'string' }, section: { type: 'string' } });
  // Internal: the parent runs each section in a child process of its own.
  if (values.section) {
    await runSection(values.section, values.json);
    return 0;
  }
  const names = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .filter((n) => positionals.length === 0 || positionals.includes(n))
    .sort();
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
      missed += print(section);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(sections, null, 2));
  console.log(`\n${sections.length} sections, ${missed} goals missed`);
  // A missed goal fails the run (CI and `npm run bench` exit non-zero).
  return missed > 0 ? 1 : 0;
}

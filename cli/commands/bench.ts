import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchSection } from '../../bench/types.js';
import { parseCommandArgs } from '../args.js';

export const summary = 'run the benchmarks (bench/*.bench.ts) and print ratios against the peers they name';

const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url));

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('bench', args, { json: { type: 'string' } });
  const names = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .filter((n) => positionals.length === 0 || positionals.includes(n))
    .sort();
  const sections: BenchSection[] = [];
  let failed = 0;
  for (const name of names) {
    const mod = (await import(`../../bench/${name}.bench.ts`)) as { run(): Promise<BenchSection> };
    const section = await mod.run();
    sections.push(section);
    console.log(`\n== ${section.title}`);
    for (const row of section.rows) {
      const verdict = row.pass === undefined ? '' : row.pass ? '  PASS' : '  MISS';
      if (row.pass === false) failed++;
      const value = `${Number.isInteger(row.value) ? row.value : row.value.toFixed(2)} ${row.unit}`;
      console.log(`  ${row.name.padEnd(52)} ${value.padStart(16)}  ${(row.ratio ?? '').padEnd(36)} ${row.goal ? `goal ${row.goal}` : ''}${verdict}`);
    }
    for (const note of section.notes ?? []) console.log(`  note: ${note}`);
  }
  if (values.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(values.json, JSON.stringify(sections, null, 2));
  }
  console.log(`\n${sections.length} sections, ${failed} goals missed`);
  return 0;
}

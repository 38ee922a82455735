// `flatline bench`: a section's table and rows print with their verdicts, a missed goal in either counts
// (the command exits non-zero on any), and the section filter refuses a name that is not a section.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BenchSection } from '../../bench/types.js';
import { printSection, run } from '../../cli/commands/bench.js';

let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

describe('flatline bench', () => {
  it('prints a table with aligned columns and counts its MISS rows with the MISS rows of the section', () => {
    const section: BenchSection = {
      title: 'drills',
      table: {
        columns: ['scenario', 'model', 'recover'],
        rows: [
          { cells: ['primary-flatline', 'realistic', '11.1 s 5.5 TD'], goal: 'stall <= 2 TD', pass: false },
          { cells: ['pipeline-blip', 'ideal', '-'], goal: 'stall <= 2 TD', pass: true },
          { cells: ['flapping', 'ideal', '-'] },
        ],
      },
      rows: [
        { name: 'p95 recover', value: 11.5, unit: 's', goal: '<= 5.6 TD (floor p95 4.6 TD + 1 TD)', pass: false },
        { name: 'suite', value: 200, unit: 's', goal: '< 360 s', pass: true },
      ],
      notes: ['detection is what limits recovery'],
    };
    expect(printSection(section)).toBe(2);
    const text = out.join('\n');
    const header = out.find((l) => l.includes('scenario'))!;
    const first = out.find((l) => l.includes('primary-flatline'))!;
    const second = out.find((l) => l.includes('pipeline-blip'))!;
    // each column starts where its header does
    expect(first.indexOf('realistic')).toBe(header.indexOf('model'));
    expect(first.indexOf('11.1')).toBe(header.indexOf('recover'));
    expect(second.indexOf('ideal')).toBe(header.indexOf('model'));
    expect(first).toMatch(/goal stall <= 2 TD {2}MISS$/);
    expect(second).toMatch(/PASS$/);
    expect(out.find((l) => l.includes('flapping'))).not.toMatch(/PASS|MISS/);
    expect(text).toMatch(/p95 recover .*goal <= 5\.6 TD \(floor p95 4\.6 TD \+ 1 TD\) {2}MISS/);
    expect(text).toMatch(/note: detection is what limits recovery/);
  });

  it('--only and positionals name sections; an unknown one is a usage error naming the known sections, and nothing runs', async () => {
    expect(await run(['--only', 'drills'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown section "drills"; known: .*\bdrill\b.*\bprobe\b/);
    expect(await run(['nope', '--only', 'drill'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown section "nope"/);
    expect(out).toEqual([]);
  });
});

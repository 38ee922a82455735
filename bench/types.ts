// The contract of a benchmark section: `bench/<name>.bench.ts` exports `run(): Promise<BenchSection>`.
// `npm run bench` runs every section and prints its rows; ratios are measured side by side in one run.
// A row (or table row) whose `pass` is false is a missed goal: it prints MISS and the bench exits non-zero.
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** e.g. "34.2x faster than hls-parser" */
  ratio?: string;
  /** e.g. ">= 20x", "< 300 ms" */
  goal?: string;
  pass?: boolean;
}

/** Several measurements per row (e.g. scenario x model), printed as aligned columns before the rows. */
export interface BenchTable {
  columns: string[];
  rows: Array<{ cells: string[]; goal?: string; pass?: boolean }>;
}

export interface BenchSection {
  title: string;
  table?: BenchTable;
  rows: BenchRow[];
  notes?: string[];
}

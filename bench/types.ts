// The contract of a benchmark section: `bench/<name>.bench.ts` exports `run(): Promise<BenchSection>`.
// `npm run bench` runs every section and prints its rows; ratios are measured side by side in one run.
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

export interface BenchSection {
  title: string;
  rows: BenchRow[];
  notes?: string[];
}

// Nearest-rank percentiles (the p-th percentile is a value that was measured, never an interpolation), for the
// drill report (over viewers) and the drill bench (over seeded runs).

/** The p-th percentile (0 < p <= 100) of `xs` by nearest rank; NaN for no values. Infinity sorts last. */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

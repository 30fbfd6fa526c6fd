/** p50, p95 and max of some durations, as the tables show them. */
export interface Percentiles {
  p50: number;
  p95: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1]! };
}

/** Undefined for no values: "none" in a table. */
export function percentilesOf(values: number[]): Percentiles | undefined {
  return values.length > 0 ? percentiles(values) : undefined;
}

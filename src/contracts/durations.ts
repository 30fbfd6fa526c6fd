/**
 * Durations as people write them in a dataflow spec ("30s", "15m", "1h", "7d", "2w"). Workflow-safe: plain code,
 * so the monitor, its update validators and the CLI all read them the same way.
 */

const unitMilliseconds: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const durationPattern = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

/** Milliseconds for a duration text, or undefined when it is not one (or not positive). */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text);
  if (!match) return undefined;
  const [, amount, unit] = match;
  const milliseconds = Number(amount) * (unitMilliseconds[unit ?? ''] ?? Number.NaN);
  return Number.isFinite(milliseconds) && milliseconds > 0 ? Math.round(milliseconds) : undefined;
}

export function isDuration(text: unknown): text is string {
  return typeof text === 'string' && parseDuration(text) !== undefined;
}

/** A short human form of a span, for alerts and the status view: "6d 23h", "14m 5s", "900ms". */
export function describeDuration(milliseconds: number): string {
  const sign = milliseconds < 0 ? '-' : '';
  let rest = Math.abs(Math.round(milliseconds));
  if (rest < 1_000) return `${sign}${rest}ms`;
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return sign + parts.join(' ');
}

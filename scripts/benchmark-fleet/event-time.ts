/** When a history event was recorded, in epoch milliseconds (0 when it says nothing). */
import type { HistoryEvent } from '../../test/harness/run-update-signals';

export function eventTimeMs(event: HistoryEvent): number {
  const time = event.eventTime;
  if (!time) return 0;
  const seconds = time.seconds as unknown;
  const wholeSeconds =
    typeof seconds === 'object' && seconds !== null && 'toNumber' in seconds
      ? (seconds as { toNumber(): number }).toNumber()
      : Number(seconds ?? 0);
  return wholeSeconds * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

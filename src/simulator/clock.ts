/** Wall-clock time for timestamps, with a time scale that shortens schedule waits and run durations. */
import type { Clock } from './context';

export function createClock(timeScale: number): Clock {
  if (!(timeScale > 0)) throw new Error(`time scale must be a positive number, got ${timeScale}`);
  return {
    now: () => Date.now(),
    scaled: (simulatedMs: number) => simulatedMs / timeScale,
  };
}

/** Time for the AEP client's waits, replaceable in tests so pacing and deadlines can be checked without sleeping. */
export interface Clock {
  /** Epoch milliseconds (deadlines are epoch milliseconds too). */
  now(): number;
  /** Calls `callback` once, `delayMs` from now; the returned function cancels it. */
  schedule(delayMs: number, callback: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, callback) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
};

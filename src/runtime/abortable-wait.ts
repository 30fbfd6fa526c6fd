/**
 * Waiting for work that other callers share (so it is not itself aborted), giving up when a signal fires: the
 * AEP client's token wait and the receiver's key fetch both wait this way.
 */

/** Settles as `work` does, or rejects with `abortError()` once `signal` aborts; the listener never outlives it. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, abortError: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

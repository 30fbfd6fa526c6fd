/**
 * At most `limit` tasks at once, the others waiting their turn in order: following hundreds of dataflows must
 * not send hundreds of Temporal calls (queries reach a worker) at the same moment.
 */
export type ConcurrencyLimit = <T>(task: () => Promise<T>) => Promise<T>;

export function concurrencyLimit(limit: number): ConcurrencyLimit {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < limit) active += 1;
    // A finishing task hands its slot straight to the next in line, so a newcomer cannot take it in between.
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}

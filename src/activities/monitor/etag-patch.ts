/**
 * Optimistic concurrency as AEP asks for it (DESIGN invariant 7): read the entity for its etag, PATCH with
 * If-Match, and when someone changed it in between (412) read again, re-apply, retry.
 */
import { AepError } from '../../aep';

export interface EtagPatchOutcome {
  etag: string;
  /** 1 when nobody got in the way. */
  attempts: number;
}

const maxAttempts = 5;

export async function patchWithCurrentEtag<Entity extends { etag: string }>(
  read: () => Promise<Entity>,
  patch: (current: Entity) => Promise<{ etag: string }>,
): Promise<EtagPatchOutcome> {
  for (let attempt = 1; ; attempt += 1) {
    const current = await read();
    try {
      const { etag } = await patch(current);
      return { etag, attempts: attempt };
    } catch (error) {
      const stale = error instanceof AepError && error.status === 412;
      if (!stale || attempt >= maxAttempts) throw error;
    }
  }
}

/** The Temporal client activities signal monitors and start feeds with. */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ActivityDependencies } from '../dependencies';

/** The worker's own client (bound to its namespace), unless the dependencies bring one. */
export function temporalClientOf(deps: ActivityDependencies): () => Client {
  return deps.temporalClient ?? (() => Context.current().client);
}

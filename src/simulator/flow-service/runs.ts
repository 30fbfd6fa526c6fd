/**
 * Flow runs (`/runs`): listed with the usual filters (by flowId, status, start time) and read by id. A fleet's
 * sandbox holds hundreds of thousands of runs, so listings by id, by flowId or by a start-time window read the
 * store's run index instead of scanning; every other filter still works, over the whole sandbox.
 */
import type { FastifyInstance } from 'fastify';
import type { SimulatorContext } from '../context';
import type { Store } from '../store';
import { flowServicePrefix } from '../api-errors';
import { requireEntity } from './entity-routes';
import type { StoredRun } from './entity-types';
import { answerListQuery, type ListQueryOptions } from './list-query';
import type { ListSource } from './list-source';
import { sandboxOf } from './request-parts';

const statusPath = 'metrics.statusSummary.status';
const startedAtPath = 'metrics.durationSummary.startedAtUTC';

export const runListOptions: ListQueryOptions = {
  // The docs filter runs with `state==inProgress` and with `metrics.statusSummary.status==Failed`.
  aliases: { state: statusPath },
  caseInsensitivePaths: new Set([statusPath]),
};

export function registerRunRoutes(app: FastifyInstance, context: SimulatorContext): void {
  app.get(`${flowServicePrefix}/runs`, (request) =>
    answerListQuery(request, runListSource(context.store, sandboxOf(request)), '/runs', runListOptions),
  );

  app.get<{ Params: { id: string } }>(`${flowServicePrefix}/runs/:id`, (request) => ({
    items: [requireEntity<StoredRun>(context, 'runs', 'runs', sandboxOf(request), request.params.id)],
  }));
}

export function runListSource(store: Store, sandbox: string): ListSource<StoredRun> {
  const runs = store.runs;
  return {
    all: () => ({ items: runs.ofSandbox(sandbox), inSortedOrder: true }),
    lookups: {
      id: (ids) => ({
        items: ids.flatMap((id) => store.get<StoredRun>('runs', sandbox, id) ?? []),
        inSortedOrder: false,
      }),
      flowId: (flowIds) =>
        flowIds.length === 1
          ? { items: runs.ofFlow(sandbox, flowIds[0]!), inSortedOrder: true }
          : { items: flowIds.flatMap((flowId) => runs.ofFlow(sandbox, flowId)), inSortedOrder: false },
    },
    sorted: {
      path: startedAtPath,
      // A run is created the instant it starts; the index says whether that held for every run it holds.
      orderPaths: runs.createdAtFollowsStartTime ? [startedAtPath, 'createdAt'] : [startedAtPath],
      within: (window) => runs.startedWithin(sandbox, window),
    },
  };
}

/** Flow runs (`/runs`): listed with the usual filters (by flowId, status, start time) and read by id. */
import type { FastifyInstance } from 'fastify';
import type { SimulatorContext } from '../context';
import { flowServicePrefix } from '../api-errors';
import { requireEntity } from './entity-routes';
import type { StoredRun } from './entity-types';
import { answerListQuery, type ListQueryOptions } from './list-query';
import { sandboxOf } from './request-parts';

const statusPath = 'metrics.statusSummary.status';

export const runListOptions: ListQueryOptions = {
  // The docs filter runs with `state==inProgress` and with `metrics.statusSummary.status==Failed`.
  aliases: { state: statusPath },
  caseInsensitivePaths: new Set([statusPath]),
};

export function registerRunRoutes(app: FastifyInstance, context: SimulatorContext): void {
  app.get(`${flowServicePrefix}/runs`, (request) =>
    answerListQuery(request, context.store.list<StoredRun>('runs', sandboxOf(request)), '/runs', runListOptions),
  );

  app.get<{ Params: { id: string } }>(`${flowServicePrefix}/runs/:id`, (request) => ({
    items: [requireEntity<StoredRun>(context, 'runs', 'runs', sandboxOf(request), request.params.id)],
  }));
}

/** Connection specs and flow specs: fixed, organization-wide definitions, readable from any sandbox. */
import type { FastifyInstance } from 'fastify';
import { flowServicePrefix } from '../api-errors';
import { entityNotFound } from './flow-errors';
import { answerListQuery } from './list-query';
import { allConnectionSpecs, allFlowSpecs, findConnectionSpec, findFlowSpec } from './spec-catalog';

export function registerSpecRoutes(app: FastifyInstance): void {
  app.get(`${flowServicePrefix}/connectionSpecs`, (request) =>
    answerListQuery(request, allConnectionSpecs(), '/connectionSpecs'),
  );
  app.get<{ Params: { id: string } }>(`${flowServicePrefix}/connectionSpecs/:id`, (request) => {
    const spec = findConnectionSpec(request.params.id);
    if (!spec) throw entityNotFound('connectionSpecs', request.params.id);
    return { items: [spec] };
  });
  app.get(`${flowServicePrefix}/flowSpecs`, (request) => answerListQuery(request, allFlowSpecs(), '/flowSpecs'));
  app.get<{ Params: { id: string } }>(`${flowServicePrefix}/flowSpecs/:id`, (request) => {
    const spec = findFlowSpec(request.params.id);
    if (!spec) throw entityNotFound('flowSpecs', request.params.id);
    return { items: [spec] };
  });
}

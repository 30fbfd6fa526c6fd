/**
 * Dataflows (`/flows`): created enabled after checking connections, mapping and schedule;
 * `/flows/{id}/action?op=enable|disable` switches them. Every change tells the run scheduler.
 */
import type { FastifyInstance } from 'fastify';
import type { SimulatorContext } from '../context';
import { flowError } from '../problems';
import { flowServicePrefix } from '../api-errors';
import { etagsMatch } from './entity-metadata';
import { registerEntityRoutes, requireEntity, restamp } from './entity-routes';
import type { StoredFlow } from './entity-types';
import { invalidRequest, invalidSpecId, versionMismatch } from './flow-errors';
import { inheritedAttributes, requireConnectionIds, validateMappingAgainstTargets } from './flow-validation';
import { queryString, requiredSpecReference, requiredString, sandboxOf } from './request-parts';
import { normalizeScheduleParams } from './schedule-params';
import { findFlowSpec } from './spec-catalog';

export function registerFlowRoutes(
  app: FastifyInstance,
  context: SimulatorContext,
  onFlowChanged: (flowId: string) => void,
): void {
  registerEntityRoutes<StoredFlow>(app, context, {
    kind: 'flows',
    collection: 'flows',
    readOnlyFields: [
      'state',
      'flowSpec',
      'sourceConnectionIds',
      'targetConnectionIds',
      'inheritedAttributes',
      'lastOperation',
      'lastRunDetails',
      'runs',
    ],
    build: (body, sandbox, id, now) => {
      if ('state' in body) throw flowError(400, 1410, '`State` is not allowed in the create flow request.');
      const flowSpecReference = requiredSpecReference(body, 'flowSpec');
      const flowSpec = findFlowSpec(flowSpecReference.id);
      if (!flowSpec) throw invalidSpecId(flowSpecReference.id);
      const name = requiredString(body, 'name');
      const sourceConnectionIds = requireConnectionIds(body.sourceConnectionIds, 'sourceConnectionIds');
      const targetConnectionIds = requireConnectionIds(body.targetConnectionIds, 'targetConnectionIds');
      const inherited = inheritedAttributes(context, sandbox, flowSpec, sourceConnectionIds, targetConnectionIds);
      validateMappingAgainstTargets(context, sandbox, body.transformations, targetConnectionIds);
      const scheduleParams = normalizeScheduleParams(body.scheduleParams, now);
      return {
        name,
        description: typeof body.description === 'string' ? body.description : '',
        flowSpec: flowSpecReference,
        state: 'enabled',
        sourceConnectionIds,
        targetConnectionIds,
        inheritedAttributes: inherited,
        transformations: body.transformations,
        scheduleParams,
        runs: `/runs?property=flowId==${id}`,
        lastOperation: lastOperation('create', now),
      };
    },
    revalidate: (updated, previous, sandbox, now) => {
      requiredString(updated, 'name');
      validateMappingAgainstTargets(context, sandbox, updated.transformations, updated.targetConnectionIds);
      updated.scheduleParams = normalizeScheduleParams(updated.scheduleParams, now, previous.scheduleParams);
      updated.lastOperation = lastOperation('update', now);
    },
    onChange: (flow) => onFlowChanged(flow.id),
  });

  app.post<{ Params: { id: string } }>(`${flowServicePrefix}/flows/:id/action`, (request) => {
    const flow = requireEntity<StoredFlow>(context, 'flows', 'flows', sandboxOf(request), request.params.id);
    const op = queryString(request, 'op')?.toLowerCase();
    if (op === undefined) throw invalidRequest(`The query parameter 'op' is required (enable or disable).`);
    if (op === 'finalize' || op === 'finalize_update' || op === 'publish') {
      throw flowError(400, 1402, `The action '${op}' is supported for provider requests only.`);
    }
    if (op !== 'enable' && op !== 'disable') {
      throw invalidRequest(`Unsupported action '${op}' received. Please use enable or disable and try again.`);
    }
    const ifMatch = request.headers['if-match'];
    if (ifMatch && !etagsMatch(ifMatch, flow.etag)) throw versionMismatch(ifMatch, flow.etag);
    const targetState = op === 'enable' ? 'enabled' : 'disabled';
    if (flow.state === targetState) {
      throw flowError(
        400,
        1422,
        `The action ${op} cannot be applied on the current state ${flow.state}. Please update the action and try again.`,
      );
    }
    const now = context.clock.now();
    flow.state = targetState;
    flow.lastOperation = lastOperation(op, now);
    const etag = restamp(flow, context, now);
    context.store.touch();
    onFlowChanged(flow.id);
    return { id: flow.id, etag };
  });
}

function lastOperation(operation: string, now: number): Record<string, unknown> {
  return {
    started: now,
    updated: now,
    percentCompleted: 100,
    status: { value: 'completed', errors: [] },
    ops: [],
    operation,
  };
}

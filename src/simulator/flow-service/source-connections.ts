/** Source connections (`/sourceConnections`): what to read through a base connection. */
import type { FastifyInstance } from 'fastify';
import type { SimulatorContext } from '../context';
import { flowError } from '../problems';
import { registerEntityRoutes } from './entity-routes';
import type { StoredConnection, StoredFlow, StoredSourceConnection } from './entity-types';
import { invalidRequest, invalidSpecId } from './flow-errors';
import { isJsonObject, requiredSpecReference, requiredString, textOf } from './request-parts';
import { findConnectionSpec } from './spec-catalog';

export function registerSourceConnectionRoutes(app: FastifyInstance, context: SimulatorContext): void {
  registerEntityRoutes<StoredSourceConnection>(app, context, {
    kind: 'sourceConnections',
    collection: 'sourceConnections',
    readOnlyFields: ['baseConnectionId', 'state'],
    refuseFieldUpdate: (field) =>
      field === 'connectionSpec'
        ? flowError(400, 1414, 'The connection spec of a connection cannot be updated.')
        : undefined,
    build: (body, sandbox) => {
      const connectionSpec = requiredSpecReference(body, 'connectionSpec');
      if (!findConnectionSpec(connectionSpec.id)) throw invalidSpecId(connectionSpec.id);
      const baseConnectionId = requiredString(body, 'baseConnectionId');
      const base = context.store.get<StoredConnection>('connections', sandbox, baseConnectionId);
      if (!base) throw invalidRequest(`The base connection ${baseConnectionId} does not exist in sandbox ${sandbox}.`);
      if (base.connectionSpec.id !== connectionSpec.id) {
        throw invalidRequest(
          `The connection spec ${connectionSpec.id} does not match the spec ${base.connectionSpec.id} of base connection ${baseConnectionId}.`,
        );
      }
      const data = isJsonObject(body.data) ? body.data : { format: 'json' };
      checkFormat(data);
      return {
        name: requiredString(body, 'name'),
        description: typeof body.description === 'string' ? body.description : '',
        baseConnectionId,
        connectionSpec,
        state: 'enabled',
        data,
        params: isJsonObject(body.params) ? body.params : {},
      };
    },
    revalidate: (updated) => {
      requiredString(updated, 'name');
      if (!isJsonObject(updated.data)) throw invalidRequest(`The field 'data' must be an object.`);
      checkFormat(updated.data);
    },
    beforeDelete: (sourceConnection, sandbox) =>
      refuseWhileUsedByFlows(context, sandbox, sourceConnection.id, 'sourceConnectionIds'),
  });
}

/** OneTrust Integration only delivers JSON (the seed: "the only supported data format is json"). */
function checkFormat(data: Record<string, unknown>): void {
  if (data.format !== undefined && textOf(data.format).toLowerCase() !== 'json') {
    throw invalidRequest(`Unsupported data format '${textOf(data.format)}'; the only supported data format is json.`);
  }
}

/** 1447-400: a source or target connection that an existing flow references cannot be deleted. */
export function refuseWhileUsedByFlows(
  context: SimulatorContext,
  sandbox: string,
  connectionId: string,
  field: 'sourceConnectionIds' | 'targetConnectionIds',
): void {
  const inUse = context.store.list<StoredFlow>('flows', sandbox).some((flow) => flow[field].includes(connectionId));
  if (inUse) throw flowError(400, 1447, `Found active flows containing id ${connectionId}.`);
}

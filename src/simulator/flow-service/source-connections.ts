/** Source connections (`/sourceConnections`): what to read through a base connection. */
import type { FastifyInstance } from 'fastify';
import type { SimulatorContext } from '../context';
import { flowEndpointRules, knownConnectionSpec, newConnectionFields } from './connection-rules';
import { registerEntityRoutes } from './entity-routes';
import type { StoredConnection, StoredSourceConnection } from './entity-types';
import { invalidRequest } from './flow-errors';
import { isJsonObject, requiredString, textOf } from './request-parts';

export function registerSourceConnectionRoutes(app: FastifyInstance, context: SimulatorContext): void {
  registerEntityRoutes<StoredSourceConnection>(app, context, {
    ...flowEndpointRules<StoredSourceConnection>(context, 'sourceConnections'),
    build: (body, sandbox) => {
      const connectionSpec = knownConnectionSpec(body);
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
        ...newConnectionFields(body, connectionSpec),
        baseConnectionId,
        data,
        params: isJsonObject(body.params) ? body.params : {},
      };
    },
    revalidate: (updated) => {
      requiredString(updated, 'name');
      if (!isJsonObject(updated.data)) throw invalidRequest(`The field 'data' must be an object.`);
      checkFormat(updated.data);
    },
  });
}

/** OneTrust Integration only delivers JSON (the seed: "the only supported data format is json"). */
function checkFormat(data: Record<string, unknown>): void {
  if (data.format !== undefined && textOf(data.format).toLowerCase() !== 'json') {
    throw invalidRequest(`Unsupported data format '${textOf(data.format)}'; the only supported data format is json.`);
  }
}

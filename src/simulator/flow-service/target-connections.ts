/** Target connections (`/targetConnections`): the Data Lake dataset a flow writes into. */
import type { FastifyInstance } from 'fastify';
import type { SimulatorContext } from '../context';
import { connectionSpecIds } from '../defaults';
import { flowEndpointRules, knownConnectionSpec, newConnectionFields } from './connection-rules';
import { registerEntityRoutes } from './entity-routes';
import type { StoredTargetConnection } from './entity-types';
import { invalidRequest } from './flow-errors';
import { isJsonObject, requiredString } from './request-parts';

export function registerTargetConnectionRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const requireDataset = (sandbox: string, params: unknown): void => {
    const dataSetId = isJsonObject(params) ? params.dataSetId : undefined;
    if (typeof dataSetId !== 'string' || dataSetId === '') {
      throw invalidRequest(`The field 'params.dataSetId' is required for a Data Lake target connection.`);
    }
    if (!context.store.get('dataSets', sandbox, dataSetId)) {
      throw invalidRequest(`The dataset ${dataSetId} does not exist in sandbox ${sandbox}.`);
    }
  };

  registerEntityRoutes<StoredTargetConnection>(app, context, {
    ...flowEndpointRules<StoredTargetConnection>(context, 'targetConnections'),
    build: (body, sandbox) => {
      const connectionSpec = knownConnectionSpec(body);
      if (connectionSpec.id !== connectionSpecIds.dataLake) {
        throw invalidRequest(
          `Connection spec ${connectionSpec.id} cannot be used as a target; use the Data Lake spec.`,
        );
      }
      requireDataset(sandbox, body.params);
      return {
        ...newConnectionFields(body, connectionSpec),
        data: isJsonObject(body.data) ? body.data : { format: 'json' },
        params: body.params,
      };
    },
    revalidate: (updated, _previous, sandbox) => {
      requiredString(updated, 'name');
      requireDataset(sandbox, updated.params);
    },
  });
}

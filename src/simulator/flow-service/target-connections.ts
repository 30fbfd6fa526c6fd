/** Target connections (`/targetConnections`): the Data Lake dataset a flow writes into. */
import type { FastifyInstance } from 'fastify';
import type { SimulatorContext } from '../context';
import { connectionSpecIds } from '../defaults';
import { flowError } from '../problems';
import { registerEntityRoutes } from './entity-routes';
import type { StoredTargetConnection } from './entity-types';
import { invalidRequest, invalidSpecId } from './flow-errors';
import { isJsonObject, requiredSpecReference, requiredString } from './request-parts';
import { refuseWhileUsedByFlows } from './source-connections';
import { findConnectionSpec } from './spec-catalog';

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
    kind: 'targetConnections',
    collection: 'targetConnections',
    readOnlyFields: ['baseConnectionId', 'state'],
    refuseFieldUpdate: (field) =>
      field === 'connectionSpec'
        ? flowError(400, 1414, 'The connection spec of a connection cannot be updated.')
        : undefined,
    build: (body, sandbox) => {
      const connectionSpec = requiredSpecReference(body, 'connectionSpec');
      if (!findConnectionSpec(connectionSpec.id)) throw invalidSpecId(connectionSpec.id);
      if (connectionSpec.id !== connectionSpecIds.dataLake) {
        throw invalidRequest(
          `Connection spec ${connectionSpec.id} cannot be used as a target; use the Data Lake spec.`,
        );
      }
      requireDataset(sandbox, body.params);
      return {
        name: requiredString(body, 'name'),
        description: typeof body.description === 'string' ? body.description : '',
        connectionSpec,
        state: 'enabled',
        data: isJsonObject(body.data) ? body.data : { format: 'json' },
        params: body.params,
      };
    },
    revalidate: (updated, _previous, sandbox) => {
      requiredString(updated, 'name');
      requireDataset(sandbox, updated.params);
    },
    beforeDelete: (targetConnection, sandbox) =>
      refuseWhileUsedByFlows(context, sandbox, targetConnection.id, 'targetConnectionIds'),
  });
}

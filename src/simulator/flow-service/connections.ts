/**
 * Base connections (`/connections`): credentials for a source, checked against the connection spec's authSpec.
 * Also `/connections/{id}/explore` (the OneTrust preview, only with a token OneTrust accepts) and `/test`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SimulatorContext } from '../context';
import { connectionSpecIds } from '../defaults';
import { flowError } from '../problems';
import { flowServicePrefix } from '../api-errors';
import { newConnectionFields, refuseConnectionSpecUpdate } from './connection-rules';
import { registerEntityRoutes, requireEntity } from './entity-routes';
import type { StoredConnection, StoredFlow } from './entity-types';
import { invalidRequest, invalidSpecId } from './flow-errors';
import {
  isJsonObject,
  queryString,
  requiredSpecReference,
  requiredString,
  sandboxOf,
  type JsonObject,
} from './request-parts';
import { withMaskedSecrets } from './secret-masking';
import { findConnectionSpec } from './spec-catalog';

const exploreObjectTypes = new Set(['rest', 'root', 'table', 'file', 'folder']);

export function registerConnectionRoutes(app: FastifyInstance, context: SimulatorContext): void {
  registerEntityRoutes<StoredConnection>(app, context, {
    kind: 'connections',
    collection: 'connections',
    readOnlyFields: ['state'],
    refuseFieldUpdate: refuseConnectionSpecUpdate,
    build: (body) => {
      const connectionSpec = requiredSpecReference(body, 'connectionSpec');
      const fields: JsonObject = newConnectionFields(body, connectionSpec);
      const auth = validatedAuth(connectionSpec.id, body.auth);
      if (auth) fields.auth = auth;
      if (isJsonObject(body.params)) fields.params = body.params;
      return fields;
    },
    revalidate: (updated) => {
      requiredString(updated, 'name');
      validatedAuth(updated.connectionSpec.id, updated.auth);
    },
    present: withMaskedSecrets,
    beforeDelete: (connection, sandbox) => {
      const usedBy = flowsUsingBaseConnection(context, sandbox, connection.id);
      if (usedBy.length > 0) {
        throw flowError(
          400,
          1418,
          `The base connection with the ID ${connection.id} cannot be deleted because the base connection is being used in one or more flows. Please ensure that corresponding flows are deleted before deleting a base connection.`,
        );
      }
    },
  });

  const requireConnection = (request: FastifyRequest<{ Params: { id: string } }>) =>
    requireEntity<StoredConnection>(context, 'connections', 'connections', sandboxOf(request), request.params.id);

  app.get<{ Params: { id: string } }>(`${flowServicePrefix}/connections/:id/explore`, (request) => {
    const connection = requireConnection(request);
    const objectType = queryString(request, 'objectType');
    if (!objectType || !exploreObjectTypes.has(objectType.toLowerCase())) {
      throw invalidRequest(`The query parameter objectType is required; for OneTrust Integration it is 'rest'.`);
    }
    if (connection.connectionSpec.id !== connectionSpecIds.oneTrust) {
      throw invalidRequest(`Explore is not supported for connection spec ${connection.connectionSpec.id}.`);
    }
    const refusal = oneTrustTokenRefusal(context, connection);
    if (refusal) throw flowError(400, 1100, `The request could not be processed. Error from flow provider: ${refusal}`);
    return context.oneTrust.explorePreview();
  });

  app.get<{ Params: { id: string } }>(`${flowServicePrefix}/connections/:id/test`, (request) => {
    const connection = requireConnection(request);
    if (connection.connectionSpec.id !== connectionSpecIds.oneTrust) return { result: true };
    return { result: oneTrustTokenRefusal(context, connection) === undefined };
  });
}

/** Why OneTrust would refuse the token stored on a base connection, or undefined when it would accept it. */
export function oneTrustTokenRefusal(context: SimulatorContext, connection: StoredConnection): string | undefined {
  const token = connection.auth?.params.accessToken;
  if (typeof token !== 'string' || token === '') return 'the connection has no OneTrust access token.';
  const check = context.oneTrust.checkAccessToken(token);
  if (check.valid) return undefined;
  return check.reason === 'expired'
    ? 'OneTrust answered 401 Unauthorized: the access token has expired. Update the token on the base connection.'
    : 'OneTrust answered 401 Unauthorized: the access token is not valid.';
}

function validatedAuth(connectionSpecId: string, auth: unknown): StoredConnection['auth'] {
  const spec = findConnectionSpec(connectionSpecId);
  if (!spec) throw invalidSpecId(connectionSpecId);
  if (spec.authSpec.length === 0) {
    return isJsonObject(auth) ? (auth as StoredConnection['auth']) : undefined;
  }
  if (!isJsonObject(auth))
    throw invalidRequest(`The field 'auth' is required for connection spec ${connectionSpecId}.`);
  const specName = auth.specName;
  const authSpec = spec.authSpec.find((candidate) => candidate.name === specName);
  if (!authSpec) {
    throw flowError(
      400,
      1415,
      `The auth spec '${String(specName)}' could not be found for the connection spec ID ${connectionSpecId}.`,
    );
  }
  if (!isJsonObject(auth.params)) throw invalidRequest(`The field 'auth.params' is required.`);
  for (const required of authSpec.spec.required) {
    const value = auth.params[required];
    if (typeof value !== 'string' || value === '') {
      throw invalidRequest(`The auth parameter '${required}' is required by auth spec '${authSpec.name}'.`);
    }
  }
  return { specName: authSpec.name, params: { ...auth.params } };
}

function flowsUsingBaseConnection(context: SimulatorContext, sandbox: string, connectionId: string): StoredFlow[] {
  return context.store
    .list<StoredFlow>('flows', sandbox)
    .filter((flow) =>
      flow.inheritedAttributes.sourceConnections.some((source) => source.baseConnection?.id === connectionId),
    );
}

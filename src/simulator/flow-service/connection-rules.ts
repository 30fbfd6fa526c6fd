/**
 * Rules every kind of connection shares (base, source and target): a connection's spec is fixed once it exists,
 * and every connection starts enabled with a name and a description. Source and target connections also share
 * their PATCH and DELETE rules, since a flow refers to them by id.
 */
import type { SimulatorContext } from '../context';
import { flowError } from '../problems';
import type { EntityRules } from './entity-routes';
import type { SpecReference, StoredFlow, StoredSourceConnection, StoredTargetConnection } from './entity-types';
import { invalidSpecId } from './flow-errors';
import { requiredSpecReference, requiredString, type JsonObject } from './request-parts';
import { findConnectionSpec } from './spec-catalog';

/** 1414-400: the connection spec of any connection cannot be PATCHed. */
export function refuseConnectionSpecUpdate(field: string): Error | undefined {
  return field === 'connectionSpec'
    ? flowError(400, 1414, 'The connection spec of a connection cannot be updated.')
    : undefined;
}

/** The fields a new connection of any kind starts with; `name` is required, `description` defaults to empty. */
export function newConnectionFields(
  body: JsonObject,
  connectionSpec: SpecReference,
): { name: string; description: string; connectionSpec: SpecReference; state: 'enabled' } {
  return {
    name: requiredString(body, 'name'),
    description: typeof body.description === 'string' ? body.description : '',
    connectionSpec,
    state: 'enabled',
  };
}

/** The `connectionSpec` reference of a create body, refused with 1413 when the spec is unknown. */
export function knownConnectionSpec(body: JsonObject): SpecReference {
  const connectionSpec = requiredSpecReference(body, 'connectionSpec');
  if (!findConnectionSpec(connectionSpec.id)) throw invalidSpecId(connectionSpec.id);
  return connectionSpec;
}

type FlowEndpoint = StoredSourceConnection | StoredTargetConnection;

/** Which flow field refers to each kind of connection a flow reads from or writes to. */
const flowFieldOf = {
  sourceConnections: 'sourceConnectionIds',
  targetConnections: 'targetConnectionIds',
} as const;

/**
 * The rules source and target connections share: the collection, the fields a PATCH may not touch, and the
 * refusal to delete one that a flow still uses (1447-400).
 */
export function flowEndpointRules<T extends FlowEndpoint>(
  context: SimulatorContext,
  kind: keyof typeof flowFieldOf,
): Pick<EntityRules<T>, 'kind' | 'collection' | 'readOnlyFields' | 'refuseFieldUpdate' | 'beforeDelete'> {
  const flowField = flowFieldOf[kind];
  return {
    kind,
    collection: kind,
    readOnlyFields: ['baseConnectionId', 'state'],
    refuseFieldUpdate: refuseConnectionSpecUpdate,
    beforeDelete: (connection, sandbox) => {
      const inUse = context.store
        .list<StoredFlow>('flows', sandbox)
        .some((flow) => flow[flowField].includes(connection.id));
      if (inUse) throw flowError(400, 1447, `Found active flows containing id ${connection.id}.`);
    },
  };
}

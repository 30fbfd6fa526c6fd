/**
 * The create / get / list / PATCH / DELETE routes every Flow Service entity shares (connections, source and
 * target connections, flows). Each entity file supplies only its own validation rules.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SimulatorContext } from '../context';
import type { ResourceKind, StoredResource } from '../store';
import { flowServicePrefix } from '../api-errors';
import { auditFieldsForCreate, etagsMatch, newEtag } from './entity-metadata';
import { entityNotFound, invalidPatch, missingIfMatch, versionMismatch } from './flow-errors';
import { applyPatch, parsePatchDocument, pointerSegments, type PatchOperation } from './json-patch';
import { answerListQuery, type ListQueryOptions } from './list-query';
import type { ListSource } from './list-source';
import { objectBody, sandboxOf, type JsonObject } from './request-parts';

export type Change = 'created' | 'updated' | 'deleted';

export interface EntityRules<T extends StoredResource> {
  kind: ResourceKind;
  /** URL segment and the name AEP uses in "The requested <collection> resource … is not found". */
  collection: string;
  /** The entity's own fields, validated, from a create body (ids, audit and etag are added around them). */
  build(body: JsonObject, sandbox: string, id: string, now: number): JsonObject;
  /** Validates (and may normalize) a PATCHed copy before it replaces `previous`. */
  revalidate(updated: T, previous: T, sandbox: string, now: number): void;
  /** Fields a PATCH may not touch beyond the metadata every entity protects. */
  readOnlyFields: readonly string[];
  /** A different refusal for particular fields (connectionSpec → 1414). */
  refuseFieldUpdate?(field: string): Error | undefined;
  /** The resource as responses show it (secrets masked); lists filter and sort this view, so no filter can probe a secret. */
  present?: (resource: T) => T;
  beforeDelete?(resource: T, sandbox: string): void;
  onChange?(resource: T, change: Change): void;
  listOptions?: ListQueryOptions;
}

const metadataFields = [
  'id',
  'createdAt',
  'updatedAt',
  'createdBy',
  'updatedBy',
  'createdClient',
  'updatedClient',
  'sandboxId',
  'sandboxName',
  'imsOrgId',
  'version',
  'etag',
];

export function registerEntityRoutes<T extends StoredResource>(
  app: FastifyInstance,
  context: SimulatorContext,
  rules: EntityRules<T>,
): void {
  const { store, clock } = context;
  const collectionPath = `/${rules.collection}`;
  const base = `${flowServicePrefix}${collectionPath}`;
  const present = rules.present ?? ((resource: T) => resource);
  const readOnly = new Set([...metadataFields, ...rules.readOnlyFields]);

  const find = (request: FastifyRequest<{ Params: { id: string } }>): T => {
    const resource = store.get<T>(rules.kind, sandboxOf(request), request.params.id);
    if (!resource) throw entityNotFound(rules.collection, request.params.id);
    return resource;
  };

  app.post(base, (request, reply) => {
    const sandbox = sandboxOf(request);
    const body = objectBody(request);
    const now = clock.now();
    const id = randomUUID();
    const fields = rules.build(body, sandbox, id, now);
    const etag = newEtag(now);
    const resource = {
      id,
      ...auditFieldsForCreate(context, sandbox, now),
      ...fields,
      version: etag,
      etag,
    } as unknown as T;
    store.put(rules.kind, resource);
    rules.onChange?.(resource, 'created');
    void reply.code(201).header('location', `${base}/${id}`).send({ id, etag });
  });

  app.get(base, (request) => {
    const sandbox = sandboxOf(request);
    const presentAll = (stored: T[]) => (rules.present ? stored.map(rules.present) : stored);
    // `id==a,b,…` (how a run feed reads its flows) looks the ids up instead of presenting the whole sandbox.
    const source: ListSource<T> = {
      all: () => ({ items: presentAll(store.list<T>(rules.kind, sandbox)), inSortedOrder: false }),
      lookups: {
        id: (ids) => ({
          items: presentAll(ids.flatMap((id) => store.get<T>(rules.kind, sandbox, id) ?? [])),
          inSortedOrder: false,
        }),
      },
    };
    return answerListQuery(request, source, collectionPath, rules.listOptions);
  });

  app.get<{ Params: { id: string } }>(`${base}/:id`, (request) => ({ items: [present(find(request))] }));

  app.patch<{ Params: { id: string } }>(`${base}/:id`, (request) => {
    const sandbox = sandboxOf(request);
    const stored = find(request);
    const ifMatch = request.headers['if-match'];
    if (!ifMatch) throw missingIfMatch();
    if (!etagsMatch(ifMatch, stored.etag as string)) throw versionMismatch(ifMatch, stored.etag as string);
    const operations = parsePatchDocument(request.body);
    guardReadOnly(operations, readOnly, rules);
    const updated = structuredClone(stored);
    applyPatch(updated, operations);
    const now = clock.now();
    rules.revalidate(updated, stored, sandbox, now);
    const etag = restamp(updated, context, now);
    store.put(rules.kind, updated);
    rules.onChange?.(updated, 'updated');
    return { id: updated.id, etag };
  });

  app.delete<{ Params: { id: string } }>(`${base}/:id`, (request, reply) => {
    const sandbox = sandboxOf(request);
    const stored = find(request);
    rules.beforeDelete?.(stored, sandbox);
    store.delete(rules.kind, sandbox, stored.id);
    rules.onChange?.(stored, 'deleted');
    void reply.code(204).send();
  });
}

function guardReadOnly<T extends StoredResource>(
  operations: readonly PatchOperation[],
  readOnly: ReadonlySet<string>,
  rules: EntityRules<T>,
): void {
  for (const operation of operations) {
    const field = pointerSegments(operation.path)[0] ?? '';
    const refusal = rules.refuseFieldUpdate?.(field);
    if (refusal) throw refusal;
    if (field === '' || readOnly.has(field)) throw invalidPatch(`the field "${operation.path}" cannot be updated.`);
  }
}

/** Re-stamps an entity after a change that is not a PATCH (flow enable/disable): new etag, updater, time. */
export function restamp(resource: StoredResource, context: SimulatorContext, now: number): string {
  const etag = newEtag(now);
  Object.assign(resource, {
    updatedAt: now,
    updatedBy: `${context.settings.clientId}@AdobeID`,
    updatedClient: context.settings.clientId,
    version: etag,
    etag,
  });
  return etag;
}

/** Looks up an entity in the caller's sandbox or answers AEP's not-found error. */
export function requireEntity<T extends StoredResource>(
  context: SimulatorContext,
  kind: ResourceKind,
  collection: string,
  sandbox: string,
  id: string,
): T {
  const resource = context.store.get<T>(kind, sandbox, id);
  if (!resource) throw entityNotFound(collection, id);
  return resource;
}

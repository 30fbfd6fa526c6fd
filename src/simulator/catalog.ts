/**
 * Catalog Service datasets (`/data/foundation/catalog/dataSets`): create, look up, list, update, delete.
 *
 * PATCH takes either form of Catalog's update-object guide: a JSON object of the fields to set
 * (`application/json`), or a JSON Patch array (`application/json-patch+json`); it answers 200 `["@/dataSets/<id>"]`.
 * What Catalog owns (ids, dates, who made it) and the expandable fields (`schemaRef`, `files`: "PATCH operations on
 * an object cannot modify its expandable fields") are refused with CATALOG-1001-400, as is a body in the other form
 * than its Content-Type says.
 *
 * Catalog documents no error body; errors use the problem body of problems.ts `serviceError` with these codes:
 * CATALOG-1001-400 malformed body or query, CATALOG-1002-400 a schemaRef naming no schema of the sandbox,
 * CATALOG-1004-404 unknown dataset (also on DELETE: the docs hint at `200 []`, we choose the stricter 404).
 * No Adobe document names a CATALOG- code: these are the simulator's own.
 * Duplicate dataset names are allowed (nothing documents a refusal).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SimulatorContext } from './context';
import { applyPatch, parsePatchDocument } from './flow-service/json-patch';
import { serviceError, type SimulatorHttpError } from './problems';
import { findSchema, isJsonObject, type JsonObject } from './schema-fields';
import type { StoredResource } from './store';

const basePath = '/data/foundation/catalog';
const defaultListLimit = 20;
const maximumListLimit = 100;
/** Versioned XDM media types a dataset's schemaRef.contentType may name. */
const schemaContentTypePattern =
  /^application\/vnd\.adobe\.xed(-full)?(-notext)?(-desc)?\+json\s*;\s*version\s*=\s*1(\.\d+)?$/i;

/** A dataset as stored: Catalog's own fields plus the store's id and sandbox. */
export interface StoredDataset extends StoredResource {
  name: string;
  schemaRef: { id: string; contentType: string };
}

export function registerCatalogRoutes(app: FastifyInstance, context: SimulatorContext): void {
  app.post(`${basePath}/dataSets`, (request, reply) => {
    const dataset = createDataset(context, sandboxOf(request), request.body);
    reply.code(201).header('location', `${basePath}/dataSets/${dataset.id}`);
    return [`@/dataSets/${dataset.id}`];
  });

  app.get(`${basePath}/dataSets`, (request) => listDatasets(context, sandboxOf(request), request));

  app.get<{ Params: { id: string } }>(`${basePath}/dataSets/:id`, (request) => {
    const dataset = findDataset(context, sandboxOf(request), request.params.id);
    const properties = propertyAllowList(queryValue(request, 'properties'));
    return { [dataset.id]: publicView(dataset, properties) };
  });

  app.patch<{ Params: { id: string } }>(`${basePath}/dataSets/:id`, (request) => {
    const dataset = findDataset(context, sandboxOf(request), request.params.id);
    updateDataset(context, dataset, request.body, request.headers['content-type']);
    return [`@/dataSets/${dataset.id}`];
  });

  app.delete<{ Params: { id: string } }>(`${basePath}/dataSets/:id`, (request) => {
    const dataset = findDataset(context, sandboxOf(request), request.params.id);
    context.store.delete('dataSets', dataset.sandboxName, dataset.id);
    return [`@/dataSets/${dataset.id}`];
  });
}

function createDataset(context: SimulatorContext, sandboxName: string, body: unknown): StoredDataset {
  if (!isJsonObject(body)) throw catalogBadRequest('The request body must be a JSON object describing the dataset.');
  if (typeof body.name !== 'string' || body.name.trim() === '') {
    throw catalogBadRequest("The field 'name' is required and must be a non-empty string.");
  }
  const schemaRef = body.schemaRef;
  if (!isJsonObject(schemaRef) || typeof schemaRef.id !== 'string' || typeof schemaRef.contentType !== 'string') {
    throw catalogBadRequest("The field 'schemaRef' is required: {id: the schema $id, contentType}.");
  }
  if (!schemaContentTypePattern.test(schemaRef.contentType)) {
    throw catalogBadRequest(
      `schemaRef.contentType '${schemaRef.contentType}' is not a versioned XDM media type such as 'application/vnd.adobe.xed+json;version=1'.`,
    );
  }
  // Catalog takes the schema's `$id` URI; an altId or a schema of another sandbox names nothing here.
  const schema = findSchema(context.store, sandboxName, schemaRef.id);
  if (!schema || schema.$id !== schemaRef.id) {
    throw serviceError(
      400,
      'CATALOG-1002-400',
      'Bad Request',
      `schemaRef.id '${schemaRef.id}' does not name a schema in sandbox '${sandboxName}'.`,
    );
  }
  if (body.tags !== undefined && !isJsonObject(body.tags))
    throw catalogBadRequest("The field 'tags' must be an object.");

  const now = context.clock.now();
  const id = randomBytes(12).toString('hex');
  const viewId = randomBytes(12).toString('hex');
  const user = `${context.settings.clientId}@AdobeID`;
  const { name, description, tags, schemaRef: _schemaRef, ...rest } = body;
  const dataset: StoredDataset = {
    ...rest,
    id,
    sandboxName,
    name: name,
    ...(typeof description === 'string' ? { description } : {}),
    state: 'DRAFT',
    imsOrg: context.settings.orgId,
    tags: tags ?? {},
    version: '1.0.0',
    created: now,
    updated: now,
    createdClient: context.settings.clientId,
    createdUser: user,
    updatedUser: user,
    viewId,
    files: `@/dataSets/${id}/views/${viewId}/files`,
    schemaRef: { id: schemaRef.id, contentType: schemaRef.contentType },
  };
  return context.store.put('dataSets', dataset);
}

/** Fields a PATCH may not change: Catalog's own, and the expandable ones (references to other objects). */
const unpatchableFields = new Set([
  'id',
  'imsOrg',
  'created',
  'updated',
  'createdClient',
  'createdUser',
  'updatedUser',
  'version',
  'viewId',
  'files',
  'schemaRef',
]);

function updateDataset(
  context: SimulatorContext,
  dataset: StoredDataset,
  body: unknown,
  contentType: string | undefined,
): void {
  const jsonPatch = /^application\/json-patch\+json/i.test(contentType ?? '');
  const { id: _id, sandboxName: _sandboxName, ...document } = structuredClone(dataset) as JsonObject;
  if (jsonPatch) {
    if (!Array.isArray(body)) throw catalogBadRequest('A application/json-patch+json body must be a JSON Patch array.');
    let operations;
    try {
      operations = parsePatchDocument(body);
    } catch (error) {
      throw catalogBadRequest((error as Error).message);
    }
    for (const operation of operations) refuseUnpatchable(operation.path.split('/')[1] ?? '');
    try {
      applyPatch(document, operations);
    } catch (error) {
      throw catalogBadRequest((error as Error).message);
    }
  } else {
    if (!isJsonObject(body)) {
      throw catalogBadRequest(
        'The body must be a JSON object of the fields to update (or a JSON Patch array sent as application/json-patch+json).',
      );
    }
    for (const field of Object.keys(body)) refuseUnpatchable(field);
    Object.assign(document, body);
  }
  if (typeof document.name !== 'string' || document.name.trim() === '') {
    throw catalogBadRequest("The field 'name' must stay a non-empty string.");
  }
  if (document.description !== undefined && typeof document.description !== 'string') {
    throw catalogBadRequest("The field 'description' must be a string.");
  }
  context.store.put('dataSets', {
    ...(document as Omit<StoredDataset, 'id' | 'sandboxName'>),
    id: dataset.id,
    sandboxName: dataset.sandboxName,
    updated: context.clock.now(),
    updatedUser: `${context.settings.clientId}@AdobeID`,
  });
}

function refuseUnpatchable(field: string): void {
  const name = field.replace(/~1/g, '/').replace(/~0/g, '~');
  if (unpatchableFields.has(name)) throw catalogBadRequest(`The field '${name}' cannot be changed by PATCH.`);
}

function listDatasets(context: SimulatorContext, sandboxName: string, request: FastifyRequest): JsonObject {
  const limitText = queryValue(request, 'limit');
  const limit = limitText === undefined ? defaultListLimit : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > maximumListLimit) {
    throw catalogBadRequest(`limit must be an integer from 1 to ${maximumListLimit}, got '${limitText}'.`);
  }
  const startText = queryValue(request, 'start');
  const start = startText === undefined ? 0 : Number(startText);
  if (!Number.isInteger(start) || start < 0)
    throw catalogBadRequest(`start must be a non-negative integer, got '${startText}'.`);

  const exactFilters = ['name', 'description', 'createdClient', 'createdUser', 'updatedUser', 'version']
    .map((field) => [field, queryValue(request, field)] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined);
  const propertyFilters = parsePropertyFilter(queryValue(request, 'property'));
  const matching = context.store
    .list<StoredDataset>('dataSets', sandboxName)
    .filter((dataset) => exactFilters.every(([field, expected]) => dataset[field] === expected))
    .filter((dataset) => propertyFilters.every((filter) => filter(dataset)));
  matching.sort(orderByComparator(queryValue(request, 'orderBy') ?? queryValue(request, 'sort')));

  const properties = propertyAllowList(queryValue(request, 'properties'));
  return Object.fromEntries(
    matching.slice(start, start + limit).map((dataset) => [dataset.id, publicView(dataset, properties)]),
  );
}

function findDataset(context: SimulatorContext, sandboxName: string, id: string): StoredDataset {
  const dataset = context.store.get<StoredDataset>('dataSets', sandboxName, id);
  if (!dataset) {
    throw serviceError(
      404,
      'CATALOG-1004-404',
      'Not Found',
      `The dataset '${id}' was not found in sandbox '${sandboxName}'.`,
    );
  }
  return dataset;
}

function publicView(dataset: StoredDataset, properties: string[] | undefined): JsonObject {
  const { id: _id, sandboxName: _sandboxName, ...view } = structuredClone(dataset);
  if (!properties) return view;
  return Object.fromEntries(Object.entries(view).filter(([field]) => properties.includes(field)));
}

function propertyAllowList(text: string | undefined): string[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return text.split(',').map((field) => field.trim());
}

/** `orderBy=asc:created,desc:name` (direction defaults to asc); the default order is oldest first. */
function orderByComparator(text: string | undefined): (left: StoredDataset, right: StoredDataset) => number {
  const keys = (text ?? 'asc:created').split(',').map((part) => {
    const [first, second] = part.trim().split(':');
    const direction = second === undefined ? 'asc' : (first ?? 'asc').toLowerCase();
    const field = second ?? first ?? 'created';
    if (direction !== 'asc' && direction !== 'desc') throw catalogBadRequest(`Invalid orderBy '${text}'.`);
    return { field, sign: direction === 'desc' ? -1 : 1 };
  });
  return (left, right) => {
    for (const { field, sign } of keys) {
      const leftValue = left[field] as string | number | undefined;
      const rightValue = right[field] as string | number | undefined;
      if (leftValue === rightValue) continue;
      if (leftValue === undefined) return 1;
      if (rightValue === undefined) return -1;
      return (leftValue < rightValue ? -1 : 1) * sign;
    }
    return left.id < right.id ? -1 : left.id > right.id ? 1 : 0;
  };
}

/** `property=name==x`, `property=name!=x`, `property=name~regex` or `property=name` (exists); comma = AND. */
function parsePropertyFilter(text: string | undefined): Array<(dataset: StoredDataset) => boolean> {
  if (text === undefined) return [];
  return text.split(',').map((condition) => {
    const match = /^([\w.]+)(==|!=|~)(.*)$/.exec(condition);
    if (!match) {
      if (/^[\w.]+$/.test(condition)) return (dataset) => dataset[condition] !== undefined;
      throw catalogBadRequest(`Unsupported property filter '${condition}'.`);
    }
    const [, field, operator, expected] = match as unknown as [string, string, string, string];
    let pattern: RegExp | undefined;
    if (operator === '~') {
      try {
        pattern = new RegExp(expected);
      } catch {
        throw catalogBadRequest(`Invalid regular expression in property filter '${condition}'.`);
      }
    }
    return (dataset) => {
      const actual = dataset[field];
      const value = actual === undefined ? undefined : scalarText(actual);
      if (operator === '==') return value === expected;
      if (operator === '!=') return value !== expected;
      return value !== undefined && (pattern as RegExp).test(value);
    };
  });
}

/** A field's value as filter text; structured values compare by their JSON. */
function scalarText(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function catalogBadRequest(detail: string): SimulatorHttpError {
  return serviceError(400, 'CATALOG-1001-400', 'Bad Request', detail);
}

function queryValue(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function sandboxOf(request: FastifyRequest): string {
  return request.headers['x-sandbox-name'] as string;
}

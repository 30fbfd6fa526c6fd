/**
 * Data Prep mapping sets (`/data/foundation/conversion/mappingSets`) and the mapping service runs use.
 *
 * Behaviour chosen where the docs are silent:
 * - Create accepts the current body (`outputSchema.schemaRef`) and the seed's legacy one (`xdmSchema`, which may be
 *   the `$id`, the `meta:altId` or the tutorial's short `tenant/schemas/hash`); the schema must exist in the sandbox.
 * - Every destination must be a field the target schema declares (array indexes `[n]` allowed, any path through
 *   an array field must index it); otherwise 400 MAPPER-2202-400 naming each bad destination. Two mappings to
 *   one destination: 400 MAPPER-2203-400. A source or expression that cannot be evaluated: 400 MAPPER-2201-400.
 * - GET without `version` answers the latest version; PUT answers the new version in full; DELETE answers 204.
 * - Unknown mapping set or version: 404 DATAPREP-1004-404; malformed body or query: 400 DATAPREP-1001-400.
 * - None of these MAPPER-22xx / DATAPREP- codes is in an Adobe document (Data Prep documents no error body):
 *   they are the simulator's own. Only MAPPER-3700-400, the run-time mapping error, is documented (mapping.ts).
 * - Lists are ordered newest change first by default (`orderBy=-updatedDate`); `_page.count` counts this page.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock, DataPrepService, MappingOutcome, SimulatorContext, SimulatorSettings } from './context';
import {
  compileMapping,
  convertToFieldType,
  fieldPathOf,
  mapperTransformErrorCode,
  MappingError,
  parsePath,
  writePath,
  type CompiledMapping,
  type MappingKind,
} from './mapping';
import { serviceError, type SimulatorHttpError } from './problems';
import { findSchema, isJsonObject, schemaFieldTypes, type JsonObject } from './schema-fields';
import type { Store, StoreChange, StoredResource } from './store';

const basePath = '/data/foundation/conversion';
const defaultContentType = 'application/vnd.adobe.xed-full+json;version=1';

/** How a mapping's kind is shown when a set is read back (AEP reports media types, not the request's enum). */
const sourceTypeShown: Record<MappingKind, string> = {
  ATTRIBUTE: 'text/x.schema-path',
  EXPRESSION: 'text/x.aep-xl',
  STATIC: 'STATIC',
};

export interface StoredMapping extends JsonObject {
  sourceType: string;
  source: string;
  destination: string;
}

export interface MappingSetVersion extends JsonObject {
  id: string;
  version: number;
  createdDate: number;
  modifiedDate: number;
  xdmSchema: string;
  mappings: StoredMapping[];
}

/** A mapping set as stored: every version, oldest first, each as GET shows it. */
export interface StoredMappingSet extends StoredResource {
  name?: string;
  versions: MappingSetVersion[];
}

/** What a compiled mapping is built from. */
const mappingInputs = new Set<StoreChange>(['mappingSets', 'schemas', 'fieldGroups']);

interface DataPrepDeps {
  store: Store;
  clock: Clock;
  settings: SimulatorSettings;
}

export function createDataPrepService(deps: DataPrepDeps): DataPrepService {
  // Compiled mappings per set version and sandbox; a change to what they are built from (a schema PATCH, a PUT)
  // invalidates them. Runs and records change all the time and do not: recompiling per run would cost a fleet dearly.
  const compiled = new Map<string, CompiledVersion | Error>();
  deps.store.onChange((change) => {
    if (change === undefined || mappingInputs.has(change)) compiled.clear();
  });

  const compile = (sandboxName: string, mappingSetId: string, version: number): CompiledVersion | Error => {
    const key = `${sandboxName}\u0000${mappingSetId}\u0000${version}`;
    let entry = compiled.get(key);
    if (!entry) {
      entry = compileVersion(deps.store, sandboxName, mappingSetId, version);
      compiled.set(key, entry);
    }
    return entry;
  };

  return {
    applyMapping(sandboxName, mappingSetId, version, record): MappingOutcome {
      const entry = compile(sandboxName, mappingSetId, version);
      if (entry instanceof Error) return { errors: [{ code: mapperTransformErrorCode, message: entry.message }] };
      const output: Record<string, unknown> = {};
      try {
        for (const mapping of entry.mappings) {
          const raw = mapping.evaluate(record);
          if (raw === undefined) continue;
          const lastSegment = mapping.destinationPath[mapping.destinationPath.length - 1];
          // An indexed destination holds one element of an array field; the field's type describes the array.
          const fieldType = lastSegment?.indexes.length ? undefined : entry.fieldTypes.get(mapping.destination);
          writePath(
            output,
            mapping.destinationPath,
            convertToFieldType(raw, fieldType, mapping.destination),
            mapping.destination,
          );
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { errors: [{ code: mapperTransformErrorCode, message: `Mapper Transform Error: ${message}` }] };
      }
      return { output, errors: [] };
    },

    mappingSchemaId(sandboxName, mappingSetId, version) {
      return findVersion(deps.store, sandboxName, mappingSetId, version)?.xdmSchema;
    },
  };
}

interface CompiledVersion {
  mappings: CompiledMapping[];
  fieldTypes: Map<string, string>;
}

function compileVersion(
  store: Store,
  sandboxName: string,
  mappingSetId: string,
  version: number,
): CompiledVersion | Error {
  const found = findVersion(store, sandboxName, mappingSetId, version);
  if (!found) return new Error(`Mapping set ${mappingSetId} version ${version} does not exist`);
  const fieldTypes = schemaFieldTypes(store, sandboxName, found.xdmSchema);
  if (!fieldTypes)
    return new Error(`The target schema ${found.xdmSchema} of mapping set ${mappingSetId} does not exist`);
  try {
    const mappings = found.mappings.map((mapping) =>
      compileMapping(kindOf(mapping.sourceType) ?? 'ATTRIBUTE', mapping.source, mapping.destination),
    );
    return { mappings, fieldTypes };
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function findVersion(
  store: Store,
  sandboxName: string,
  mappingSetId: string,
  version: number,
): MappingSetVersion | undefined {
  return store
    .get<StoredMappingSet>('mappingSets', sandboxName, mappingSetId)
    ?.versions.find((candidate) => candidate.version === version);
}

export function registerDataPrepRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const collection = `${basePath}/mappingSets`;

  app.post(collection, (request) => {
    const sandboxName = sandboxOf(request);
    const definition = readDefinition(context.store, sandboxName, request.body);
    const now = context.clock.now();
    const id = randomBytes(16).toString('hex');
    const first = buildVersion(context, id, 0, now, now, definition);
    const stored: StoredMappingSet = {
      id,
      sandboxName,
      ...(definition.name !== undefined ? { name: definition.name } : {}),
      versions: [first],
    };
    context.store.put('mappingSets', stored);
    return {
      id,
      version: 0,
      createdDate: first.createdDate,
      modifiedDate: first.modifiedDate,
      createdBy: first.createdBy,
      modifiedBy: first.modifiedBy,
    };
  });

  app.get(collection, (request) => {
    const query = request.query as Record<string, string | undefined>;
    const limit = requiredInteger(query.limit, 'limit', 1);
    const start = requiredInteger(query.start, 'start', 0);
    const order = query.orderBy ?? '-updatedDate';
    const orderMatch = /^([+-]?)(createdDate|updatedDate|lastUpdateDate)$/.exec(order.replace(/^ /, '+'));
    if (!orderMatch)
      throw dataPrepBadRequest(`orderBy must be createdDate or updatedDate with + or -, got '${order}'.`);
    const field = orderMatch[2] === 'createdDate' ? 'createdDate' : 'modifiedDate';
    const sign = orderMatch[1] === '+' ? 1 : -1;
    const latest = context.store
      .list<StoredMappingSet>('mappingSets', sandboxOf(request))
      .filter((set) => query.name === undefined || set.name === query.name)
      .map((set, position) => ({ version: set.versions[set.versions.length - 1]!, position }))
      // Equal timestamps (same millisecond) keep creation order, reversed for descending lists.
      .sort((left, right) => (left.version[field] - right.version[field] || left.position - right.position) * sign);
    const data = latest.slice(start, start + limit).map((entry) => structuredClone(entry.version));
    return { data, _page: { count: data.length, limit } };
  });

  app.get<{ Params: { id: string } }>(`${collection}/:id`, (request) => {
    const set = findSet(context.store, sandboxOf(request), request.params.id);
    const versionText = (request.query as Record<string, string | undefined>).version;
    if (versionText === undefined) return structuredClone(set.versions[set.versions.length - 1]);
    const version = requiredInteger(versionText, 'version', 0);
    const found = set.versions.find((candidate) => candidate.version === version);
    if (!found) throw notFound(`Mapping set ${set.id} has no version ${version}.`);
    return structuredClone(found);
  });

  app.put<{ Params: { id: string } }>(`${collection}/:id`, (request) => {
    const sandboxName = sandboxOf(request);
    const set = findSet(context.store, sandboxName, request.params.id);
    const definition = readDefinition(context.store, sandboxName, request.body);
    const previous = set.versions[set.versions.length - 1]!;
    const next = buildVersion(
      context,
      set.id,
      previous.version + 1,
      previous.createdDate,
      context.clock.now(),
      definition,
      previous,
    );
    const updated: StoredMappingSet = {
      ...set,
      ...(definition.name !== undefined ? { name: definition.name } : {}),
      versions: [...set.versions, next],
    };
    context.store.put('mappingSets', updated);
    return structuredClone(next);
  });

  app.delete<{ Params: { id: string } }>(`${collection}/:id`, (request, reply) => {
    const set = findSet(context.store, sandboxOf(request), request.params.id);
    context.store.delete('mappingSets', set.sandboxName, set.id);
    reply.code(204).send();
  });
}

interface MappingSetDefinition {
  name?: string;
  schemaId: string;
  contentType: string;
  xdmVersion: string;
  mappings: Array<{ kind: MappingKind; source: string; destination: string; name?: string; description?: string }>;
  extras: JsonObject;
}

/** Reads and validates a create/PUT body in either the current or the legacy (seed) form. */
function readDefinition(store: Store, sandboxName: string, body: unknown): MappingSetDefinition {
  if (!isJsonObject(body)) throw dataPrepBadRequest('The request body must be a JSON object describing a mapping set.');
  const outputSchema = body.outputSchema;
  const currentRef =
    isJsonObject(outputSchema) && isJsonObject(outputSchema.schemaRef) ? outputSchema.schemaRef : undefined;
  if (outputSchema !== undefined && outputSchema !== null && (!currentRef || typeof currentRef.id !== 'string')) {
    throw dataPrepBadRequest('outputSchema must be {schemaRef: {id, contentType}}.');
  }
  const legacyId = typeof body.xdmSchema === 'string' ? body.xdmSchema : undefined;
  const reference = (currentRef?.id as string | undefined) ?? legacyId;
  if (reference === undefined) {
    throw dataPrepBadRequest('The target schema is missing: give outputSchema.schemaRef.id (or the legacy xdmSchema).');
  }
  const schema = findSchema(store, sandboxName, reference);
  if (!schema) {
    throw serviceError(
      400,
      'MAPPER-2200-400',
      'Bad Request',
      `The target schema '${reference}' does not exist in sandbox '${sandboxName}'.`,
    );
  }
  if (currentRef && legacyId !== undefined && findSchema(store, sandboxName, legacyId)?.$id !== schema.$id) {
    throw dataPrepBadRequest('outputSchema.schemaRef.id and xdmSchema name different schemas.');
  }
  if (body.name !== undefined && typeof body.name !== 'string') throw dataPrepBadRequest("'name' must be a string.");
  if (!Array.isArray(body.mappings) || body.mappings.length === 0) {
    throw dataPrepBadRequest("'mappings' must be a non-empty array.");
  }

  const fieldTypes = schemaFieldTypes(store, sandboxName, schema.$id) ?? new Map<string, string>();
  const badDestinations: string[] = [];
  const badSources: string[] = [];
  const seenDestinations = new Set<string>();
  const mappings = body.mappings.map((entry: unknown, index) => {
    if (!isJsonObject(entry)) throw dataPrepBadRequest(`mappings[${index}] must be an object.`);
    const kind = kindOf(entry.sourceType ?? 'ATTRIBUTE');
    if (!kind)
      throw dataPrepBadRequest(
        `mappings[${index}].sourceType '${String(entry.sourceType)}' is not ATTRIBUTE, EXPRESSION or STATIC.`,
      );
    if (typeof entry.source !== 'string' || entry.source.trim() === '') {
      throw dataPrepBadRequest(`mappings[${index}].source is required.`);
    }
    if (typeof entry.destination !== 'string' || entry.destination.trim() === '') {
      throw dataPrepBadRequest(`mappings[${index}].destination is required.`);
    }
    const destination = entry.destination.trim();
    const problem = destinationProblem(destination, fieldTypes);
    if (problem) badDestinations.push(`'${destination}' (${problem})`);
    if (seenDestinations.has(destination)) {
      throw serviceError(
        400,
        'MAPPER-2203-400',
        'Bad Request',
        `The destination '${destination}' is mapped more than once.`,
      );
    }
    seenDestinations.add(destination);
    try {
      compileMapping(kind, entry.source, problem ? 'placeholder' : destination);
    } catch (error) {
      badSources.push(
        `mappings[${index}] source '${entry.source}': ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return {
      kind,
      source: entry.source,
      destination,
      ...(typeof entry.name === 'string' ? { name: entry.name } : {}),
      ...(typeof entry.description === 'string' ? { description: entry.description } : {}),
    };
  });
  if (badDestinations.length > 0) {
    throw serviceError(
      400,
      'MAPPER-2202-400',
      'Bad Request',
      `Invalid destination path(s) for schema ${schema.$id}: ${badDestinations.join('; ')}. Each destination must be a field of the target schema.`,
    );
  }
  if (badSources.length > 0) throw serviceError(400, 'MAPPER-2201-400', 'Bad Request', badSources.join('; '));

  const contentType = typeof currentRef?.contentType === 'string' ? currentRef.contentType : defaultContentType;
  const extras: JsonObject = {};
  for (const field of ['strictMapping', 'allowNullValues', 'tags', 'inputSchema'] as const) {
    if (body[field] !== undefined) extras[field] = body[field];
  }
  return {
    ...(typeof body.name === 'string' ? { name: body.name } : {}),
    schemaId: schema.$id,
    contentType,
    xdmVersion: typeof body.xdmVersion === 'string' ? body.xdmVersion : '1.0',
    mappings,
    extras,
  };
}

/** Why a destination is not a field of the schema, or undefined when it is. */
function destinationProblem(destination: string, fieldTypes: Map<string, string>): string | undefined {
  let segments;
  try {
    segments = parsePath(destination);
  } catch (error) {
    return error instanceof MappingError ? error.message : 'malformed path';
  }
  if (!fieldTypes.has(fieldPathOf(segments))) return 'not a field of the schema';
  // A path that continues below an array field must say which element it writes.
  for (let index = 0; index < segments.length - 1; index += 1) {
    const prefix = fieldPathOf(segments.slice(0, index + 1));
    if (fieldTypes.get(prefix) === 'array' && segments[index]!.indexes.length === 0) {
      return `'${prefix}' is an array: index it, e.g. '${prefix}[0]'`;
    }
  }
  return undefined;
}

function buildVersion(
  context: SimulatorContext,
  id: string,
  version: number,
  createdDate: number,
  modifiedDate: number,
  definition: MappingSetDefinition,
  previous?: MappingSetVersion,
): MappingSetVersion {
  const user = `${context.settings.clientId}@AdobeID`;
  const schemaRef = { id: definition.schemaId, contentType: definition.contentType };
  return {
    id,
    version,
    createdDate,
    modifiedDate,
    createdBy: previous?.createdBy ?? user,
    modifiedBy: user,
    ...(definition.name !== undefined ? { name: definition.name } : {}),
    supportVersion: '1.1',
    inputSchema: null,
    outputSchema: { id: randomBytes(16).toString('hex'), version: 0, schemaRef },
    mappings: definition.mappings.map((mapping) => ({
      id: randomBytes(16).toString('hex'),
      version: 0,
      createdDate: modifiedDate,
      modifiedDate,
      createdBy: user,
      modifiedBy: user,
      sourceType: sourceTypeShown[mapping.kind],
      source: mapping.source,
      destination: mapping.destination,
      ...(mapping.name !== undefined ? { name: mapping.name } : {}),
      ...(mapping.description !== undefined ? { description: mapping.description } : {}),
      identity: false,
      primaryIdentity: false,
      matchScore: 0,
      functionVersion: 0,
      sourceAttribute: mapping.source,
      destinationXdmPath: mapping.destination,
    })),
    status: 'PUBLISHED',
    strictMapping: false,
    allowNullValues: false,
    ...definition.extras,
    xdmVersion: definition.xdmVersion,
    schemaRef,
    xdmSchema: definition.schemaId,
  };
}

function kindOf(sourceType: unknown): MappingKind | undefined {
  if (typeof sourceType !== 'string') return undefined;
  const normalized = sourceType.trim().toUpperCase();
  if (normalized === 'ATTRIBUTE' || normalized === 'TEXT/X.SCHEMA-PATH') return 'ATTRIBUTE';
  if (normalized === 'EXPRESSION' || normalized === 'TEXT/X.AEP-XL') return 'EXPRESSION';
  if (normalized === 'STATIC') return 'STATIC';
  return undefined;
}

function findSet(store: Store, sandboxName: string, id: string): StoredMappingSet {
  const set = store.get<StoredMappingSet>('mappingSets', sandboxName, id);
  if (!set) throw notFound(`Mapping set ${id} was not found in sandbox '${sandboxName}'.`);
  return set;
}

function requiredInteger(text: string | undefined, name: string, minimum: number): number {
  if (text === undefined || text === '') throw dataPrepBadRequest(`The query parameter '${name}' is required.`);
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum) {
    throw dataPrepBadRequest(`'${name}' must be an integer of at least ${minimum}, got '${text}'.`);
  }
  return value;
}

function notFound(detail: string): SimulatorHttpError {
  return serviceError(404, 'DATAPREP-1004-404', 'Not Found', detail);
}

function dataPrepBadRequest(detail: string): SimulatorHttpError {
  return serviceError(400, 'DATAPREP-1001-400', 'Bad Request', detail);
}

function sandboxOf(request: FastifyRequest): string {
  return request.headers['x-sandbox-name'] as string;
}

/**
 * Schema Registry (`/data/foundation/schemaregistry`): stats, and the tenant container's field groups and
 * schemas with the Accept-header rules, unique titles (XDM-1521-400) and tenant-namespace checks.
 *
 * Codes chosen where the docs are silent: XDM-1000-400 malformed body or patch, XDM-1016-400 a reference
 * (class or field group) that does not exist or does not fit, XDM-1525-400 deleting a resource still used
 * (a field group by a schema, a schema by a dataset). No Adobe document names XDM-1000-400, XDM-1016-400 (XDM-1016
 * is documented only as a 404) or XDM-1525-400: they are the simulator's own. Documented in
 * help/xdm/troubleshooting-guide.md and the SR spec: XDM-1010..1017-404 not found (we use XDM-1010-404 / XDM-1012-404
 * for an unknown field group / schema), XDM-1006/1007-400 Accept header, XDM-1020-400 namespace, XDM-1521-400 title.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SimulatorContext } from './context';
import { applyPatch, parsePatchDocument } from './flow-service/json-patch';
import { SimulatorHttpError, xdmError } from './problems';
import {
  allOfReferences,
  canonicalXdmId,
  fieldGroupProperties,
  findFieldGroup,
  isJsonObject,
  schemaProperties,
  type JsonObject,
  type StoredXdmResource,
} from './schema-fields';
import type { Store } from './store';
import { fieldGroupFitsClass, findXdmClass } from './xdm-classes';

const basePath = '/data/foundation/schemaregistry';
const defaultListLimit = 300;
const maximumListLimit = 500;

type XdmKind = 'fieldGroups' | 'schemas';

interface KindDescription {
  resourceType: 'mixins' | 'schemas';
  label: string;
  notFoundCode: number;
  routes: string[];
}

const kinds: Record<XdmKind, KindDescription> = {
  // `/tenant/mixins` is the older name of the same collection; both answer.
  fieldGroups: {
    resourceType: 'mixins',
    label: 'field group',
    notFoundCode: 1010,
    routes: ['/tenant/fieldgroups', '/tenant/mixins'],
  },
  schemas: { resourceType: 'schemas', label: 'schema', notFoundCode: 1012, routes: ['/tenant/schemas'] },
};

/** Fields the registry owns: a PATCH may not touch them. */
const systemFields = new Set([
  '$id',
  'meta:altId',
  'meta:resourceType',
  'version',
  'meta:registryMetadata',
  'meta:containerId',
  'meta:tenantNamespace',
  'meta:sandboxId',
  'meta:sandboxType',
  'imsOrg',
]);

interface AcceptFormat {
  /** '' (xed), 'full', 'notext', 'full-notext', 'full-desc', 'deprecatefield', 'id'. */
  variant: string;
  version: string | undefined;
  mediaType: string;
}

export function registerSchemaRegistryRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const registry = new SchemaRegistry(context);

  app.get(`${basePath}/stats`, (request) => registry.stats(sandboxOf(request)));

  for (const kind of ['fieldGroups', 'schemas'] as const) {
    for (const route of kinds[kind].routes) {
      const collection = `${basePath}${route}`;
      app.post(collection, (request, reply) => {
        const created = registry.create(kind, sandboxOf(request), request.body);
        reply.code(201);
        return created;
      });
      app.get(collection, (request, reply) => {
        const format = listFormat(request.headers.accept);
        reply.header('content-type', `${format.mediaType}; charset=utf-8`);
        return registry.list(kind, sandboxOf(request), request, format);
      });
      app.get(`${collection}/*`, (request, reply) => {
        const format = lookupFormat(request.headers.accept);
        const found = registry.lookup(kind, sandboxOf(request), resourceReference(request, collection), format);
        reply.header('content-type', `${format.mediaType}; version=1; charset=utf-8`);
        return found;
      });
      app.patch(`${collection}/*`, (request) =>
        registry.patch(kind, sandboxOf(request), resourceReference(request, collection), request.body),
      );
      app.put(`${collection}/*`, (request) =>
        registry.replace(kind, sandboxOf(request), resourceReference(request, collection), request.body),
      );
      app.delete(`${collection}/*`, (request, reply) => {
        registry.remove(kind, sandboxOf(request), resourceReference(request, collection));
        reply.code(204).send();
      });
    }
  }
}

class SchemaRegistry {
  constructor(private readonly context: SimulatorContext) {}

  private get store(): Store {
    return this.context.store;
  }

  private get tenantId(): string {
    return this.context.settings.tenantId;
  }

  stats(sandboxName: string): JsonObject {
    const schemas = this.store.list<StoredXdmResource>('schemas', sandboxName);
    const fieldGroups = this.store.list<StoredXdmResource>('fieldGroups', sandboxName);
    const all = [...schemas, ...fieldGroups];
    const newestFirst = (field: 'repo:createdDate' | 'repo:lastModifiedDate') =>
      [...all]
        .sort((left, right) => registryDate(right, field) - registryDate(left, field))
        .slice(0, 5)
        .map((resource) => ({ ...summary(resource), 'meta:resourceType': resource['meta:resourceType'] }));
    const classUsage = new Map<string, StoredXdmResource[]>();
    for (const schema of schemas) {
      const classId = String(schema['meta:class']);
      classUsage.set(classId, [...(classUsage.get(classId) ?? []), schema]);
    }
    return {
      imsOrg: this.context.settings.orgId,
      tenantId: this.tenantId,
      counts: { schemas: schemas.length, mixins: fieldGroups.length, datatypes: 0, classes: 0, unions: 0 },
      recentlyCreatedResources: newestFirst('repo:createdDate'),
      recentlyUpdatedResources: newestFirst('repo:lastModifiedDate'),
      classUsage: [...classUsage.entries()].map(([classId, members]) => ({
        $id: classId,
        title: findXdmClass(classId)?.title ?? classId,
        numberOfSchemas: members.length,
        schemas: members.map((schema) => ({
          $id: schema.$id,
          title: schema.title,
          description: schema.description,
          'meta:altId': schema['meta:altId'],
        })),
      })),
    };
  }

  create(kind: XdmKind, sandboxName: string, body: unknown): JsonObject {
    const draft = this.validated(kind, sandboxName, requireObject(body), undefined);
    const hash = randomBytes(24).toString('hex');
    const resourceType = kinds[kind].resourceType;
    const $id = `https://ns.adobe.com/${this.tenantId}/${resourceType}/${hash}`;
    const now = this.context.clock.now();
    const resource: StoredXdmResource = {
      ...draft,
      $id,
      'meta:altId': `_${this.tenantId}.${resourceType}.${hash}`,
      'meta:resourceType': resourceType,
      version: '1.0',
      title: String(draft.title),
      imsOrg: this.context.settings.orgId,
      'meta:registryMetadata': {
        'repo:createdDate': now,
        'repo:lastModifiedDate': now,
        'xdm:createdClientId': this.context.settings.clientId,
        'xdm:lastModifiedClientId': this.context.settings.clientId,
        'xdm:createdUserId': `${this.context.settings.clientId}@techacct.adobe.com`,
        'xdm:lastModifiedUserId': `${this.context.settings.clientId}@techacct.adobe.com`,
        eTag: randomBytes(32).toString('hex'),
        'meta:globalLibVersion': '1.50.0',
      },
      'meta:containerId': 'tenant',
      'meta:sandboxId': sandboxId(sandboxName),
      'meta:sandboxType': sandboxName === 'prod' ? 'production' : 'development',
      'meta:tenantNamespace': `_${this.tenantId}`,
      id: $id,
      sandboxName,
    };
    this.store.put(kind, resource);
    return publicView(resource);
  }

  list(kind: XdmKind, sandboxName: string, request: FastifyRequest, format: AcceptFormat): JsonObject {
    const query = request.query as Record<string, string | string[] | undefined>;
    const filters = parsePropertyFilters(query.property);
    const orderBy = single(query.orderby);
    const start = single(query.start);
    if (start !== undefined && orderBy === undefined) {
      throw xdmError(400, 1000, 'Invalid request', "The 'start' parameter can only be used together with 'orderby'.");
    }
    const limit = readLimit(single(query.limit));
    const sortField = (orderBy ?? 'title').replace(/^[+-]/, '');
    if (!['title', '$id', 'meta:altId', 'version'].includes(sortField)) {
      throw xdmError(400, 1000, 'Invalid request', `Unsupported orderby field '${sortField}'.`);
    }
    const descending = (orderBy ?? '').startsWith('-');
    const sortValue = (resource: StoredXdmResource) => scalarText(resource[sortField] ?? '');

    const matching = this.store
      .list<StoredXdmResource>(kind, sandboxName)
      .filter((resource) => filters.every((filter) => filter(resource)))
      .sort((left, right) => compareCodePoints(sortValue(left), sortValue(right)) * (descending ? -1 : 1));
    const fromStart =
      start === undefined
        ? matching
        : matching.filter((resource) => (descending ? sortValue(resource) <= start : sortValue(resource) >= start));
    const pageItems = fromStart.slice(0, limit);
    const nextItem = fromStart[limit];
    const next = nextItem ? sortValue(nextItem) : null;
    const links: JsonObject = {
      global_schemas: { href: `https://platform.adobe.io${basePath}/global/${kinds[kind].routes[0]!.split('/')[2]}` },
    };
    if (next !== null) {
      const nextQuery = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) {
        if (name === 'start' || value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) nextQuery.append(name, item);
      }
      if (orderBy === undefined) nextQuery.set('orderby', 'title');
      nextQuery.set('start', next);
      links.next = { href: `https://platform.adobe.io${request.url.split('?')[0]}?${nextQuery.toString()}` };
    }
    return {
      results: pageItems.map((resource) => (format.variant === 'id' ? summary(resource) : publicView(resource))),
      _page: { orderby: orderBy ?? 'title', next, count: pageItems.length },
      _links: links,
    };
  }

  lookup(kind: XdmKind, sandboxName: string, reference: string, format: AcceptFormat): JsonObject {
    const resource = this.find(kind, sandboxName, reference);
    if (format.version !== undefined && !/^1(\.\d+)?$/.test(format.version)) {
      throw notFound(kind, `${resource.$id} with version ${format.version}`);
    }
    const full = format.variant.startsWith('full');
    const withoutText = format.variant.includes('notext');
    let view = publicView(resource);
    if (full) {
      const properties =
        kind === 'schemas' ? schemaProperties(this.store, sandboxName, resource) : fieldGroupProperties(resource);
      const { allOf: _allOf, definitions: _definitions, ...rest } = view;
      view = { ...rest, properties };
    }
    return withoutText ? stripText(view) : view;
  }

  patch(kind: XdmKind, sandboxName: string, reference: string, body: unknown): JsonObject {
    const existing = this.find(kind, sandboxName, reference);
    let operations;
    try {
      operations = parsePatchDocument(body);
    } catch (error) {
      throw asXdmBadRequest(error);
    }
    for (const operation of operations) {
      const topField = (operation.path.split('/')[1] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
      if (systemFields.has(topField)) {
        throw xdmError(
          400,
          1000,
          'Invalid request',
          `The field '${topField}' is managed by the registry and cannot be changed.`,
        );
      }
    }
    const document = publicView(existing);
    try {
      applyPatch(document, operations);
    } catch (error) {
      throw asXdmBadRequest(error);
    }
    return this.update(kind, sandboxName, existing, document);
  }

  replace(kind: XdmKind, sandboxName: string, reference: string, body: unknown): JsonObject {
    const existing = this.find(kind, sandboxName, reference);
    const replacement = requireObject(body);
    const kept = Object.fromEntries([...systemFields].map((field) => [field, existing[field]]));
    return this.update(kind, sandboxName, existing, { ...replacement, ...kept });
  }

  remove(kind: XdmKind, sandboxName: string, reference: string): void {
    const resource = this.find(kind, sandboxName, reference);
    if (kind === 'fieldGroups') {
      const users = this.store
        .list<StoredXdmResource>('schemas', sandboxName)
        .filter((schema) => allOfReferences(schema).includes(resource.$id));
      if (users.length > 0) {
        throw xdmError(
          400,
          1525,
          'Resource in use',
          `The field group ${resource.$id} cannot be deleted: it is used by schema(s) ${users.map((schema) => schema.$id).join(', ')}.`,
        );
      }
    } else {
      const datasets = this.store
        .list('dataSets', sandboxName)
        .filter((dataset) => isJsonObject(dataset.schemaRef) && typeof dataset.schemaRef.id === 'string')
        .filter((dataset) => canonicalXdmId((dataset.schemaRef as { id: string }).id) === resource.$id);
      if (datasets.length > 0) {
        throw xdmError(
          400,
          1525,
          'Resource in use',
          `The schema ${resource.$id} cannot be deleted: it is used by dataset(s) ${datasets.map((dataset) => dataset.id).join(', ')}.`,
        );
      }
    }
    this.store.delete(kind, sandboxName, resource.$id);
  }

  private update(kind: XdmKind, sandboxName: string, existing: StoredXdmResource, document: JsonObject): JsonObject {
    const draft = this.validated(kind, sandboxName, document, existing.$id);
    const metadata = isJsonObject(existing['meta:registryMetadata']) ? existing['meta:registryMetadata'] : {};
    const updated: StoredXdmResource = {
      ...draft,
      $id: existing.$id,
      'meta:altId': existing['meta:altId'],
      title: String(draft.title),
      version: nextMinorVersion(String(existing.version)),
      'meta:registryMetadata': {
        ...metadata,
        'repo:lastModifiedDate': this.context.clock.now(),
        'xdm:lastModifiedClientId': this.context.settings.clientId,
        eTag: randomBytes(32).toString('hex'),
      },
      id: existing.id,
      sandboxName,
    };
    this.store.put(kind, updated);
    return publicView(updated);
  }

  /** Checks a create/replace/patched body and returns it with the fields the registry derives. */
  private validated(kind: XdmKind, sandboxName: string, body: JsonObject, ownId: string | undefined): JsonObject {
    if (body.type !== 'object') throw badRequest("The field 'type' is required and must be 'object'.");
    if (typeof body.title !== 'string' || body.title.trim() === '') {
      throw badRequest("The field 'title' is required and must be a non-empty string.");
    }
    this.requireUniqueTitle(sandboxName, body.title, ownId);
    return kind === 'fieldGroups' ? this.validatedFieldGroup(body) : this.validatedSchema(sandboxName, body);
  }

  private requireUniqueTitle(sandboxName: string, title: string, ownId: string | undefined): void {
    const normalized = title.trim().toLowerCase();
    const clash = [
      ...this.store.list<StoredXdmResource>('schemas', sandboxName),
      ...this.store.list<StoredXdmResource>('fieldGroups', sandboxName),
    ].find((resource) => resource.$id !== ownId && resource.title.trim().toLowerCase() === normalized);
    if (clash) {
      throw xdmError(
        400,
        1521,
        'Title not unique',
        `Object titles must be unique. An object ${clash.$id} already exists with the same title`,
      );
    }
  }

  private validatedFieldGroup(body: JsonObject): JsonObject {
    const intendedToExtend = body['meta:intendedToExtend'];
    if (!Array.isArray(intendedToExtend) || !intendedToExtend.every((item) => typeof item === 'string')) {
      throw badRequest("The field 'meta:intendedToExtend' is required and must be an array of class ids.");
    }
    if (body.definitions !== undefined && !isJsonObject(body.definitions)) {
      throw badRequest("The field 'definitions' must be an object.");
    }
    if (body.allOf !== undefined && !Array.isArray(body.allOf)) throw badRequest("The field 'allOf' must be an array.");
    const definitions = body.definitions ?? {};
    for (const reference of allOfReferences(body)) {
      if (!reference.startsWith('#/definitions/')) {
        throw xdmError(
          400,
          1016,
          'Reference not found',
          `A field group's allOf may only reference its own definitions, got ${reference}.`,
        );
      }
      if (!isJsonObject(definitions[reference.slice('#/definitions/'.length)])) {
        throw xdmError(400, 1016, 'Reference not found', `The definition ${reference} does not exist.`);
      }
    }
    const namespace = `_${this.tenantId}`;
    const roots: Array<[string, unknown]> = Object.entries(definitions).map(([name, definition]) => [
      `definitions/${name}`,
      isJsonObject(definition) ? definition.properties : undefined,
    ]);
    if (body.properties !== undefined) roots.push(['properties', body.properties]);
    for (const [where, properties] of roots) {
      if (properties === undefined) continue;
      if (!isJsonObject(properties)) throw badRequest(`'${where}/properties' must be an object.`);
      for (const [name, field] of Object.entries(properties)) {
        if (name !== namespace) {
          throw xdmError(
            400,
            1020,
            'Namespace validation error',
            `Custom fields must be nested under the tenant namespace '${namespace}', but '${name}' is defined at the root of ${where}.`,
          );
        }
        validateField(field, `${where}/${name}`);
      }
    }
    return { ...body, 'meta:extensible': true, 'meta:abstract': true, 'meta:xdmType': 'object' };
  }

  private validatedSchema(sandboxName: string, body: JsonObject): JsonObject {
    if (typeof body.description !== 'string') {
      throw badRequest("The field 'description' is required and must be a string.");
    }
    if (!Array.isArray(body.allOf) || body.allOf.length === 0) {
      throw badRequest("The field 'allOf' is required: one class reference and any number of field groups.");
    }
    const references = body.allOf.map((entry, index) => {
      if (!isJsonObject(entry) || typeof entry.$ref !== 'string') {
        throw badRequest(`allOf[${index}] must be an object with a '$ref'.`);
      }
      return entry.$ref;
    });
    const classes = references.map((reference) => findXdmClass(reference)).filter((found) => found !== undefined);
    if (classes.length !== 1) {
      throw xdmError(
        400,
        1016,
        'Reference not found',
        `A schema must reference exactly one class in allOf; found ${classes.length}.`,
      );
    }
    const xdmClass = classes[0]!;
    const fieldGroupIds: string[] = [];
    for (const reference of references) {
      if (reference === xdmClass.$id) continue;
      const fieldGroup = findFieldGroup(this.store, sandboxName, reference);
      if (!fieldGroup) {
        throw xdmError(400, 1016, 'Reference not found', `The referenced resource ${reference} does not exist.`);
      }
      const intendedToExtend = (fieldGroup['meta:intendedToExtend'] as string[] | undefined) ?? [];
      if (!fieldGroupFitsClass(intendedToExtend, xdmClass)) {
        throw xdmError(
          400,
          1016,
          'Reference not found',
          `The field group ${fieldGroup.$id} is intended for ${intendedToExtend.join(', ')} and cannot be used with class ${xdmClass.$id}.`,
        );
      }
      fieldGroupIds.push(fieldGroup.$id);
    }
    const allOf = body.allOf.map((entry) => ({ type: 'object', 'meta:xdmType': 'object', ...(entry as JsonObject) }));
    return {
      ...body,
      allOf,
      refs: [xdmClass.$id, ...fieldGroupIds],
      'meta:extensible': false,
      'meta:abstract': false,
      'meta:extends': [...fieldGroupIds, ...xdmClass.extends],
      'meta:xdmType': 'object',
      'meta:class': xdmClass.$id,
    };
  }

  private find(kind: XdmKind, sandboxName: string, reference: string): StoredXdmResource {
    const resource = this.store.get<StoredXdmResource>(kind, sandboxName, canonicalXdmId(reference));
    if (!resource) throw notFound(kind, reference);
    return resource;
  }
}

/** Every field needs a type (or a $ref); arrays need items; objects' sub-fields are checked too. */
function validateField(field: unknown, where: string): void {
  if (!isJsonObject(field)) throw badRequest(`The field at '${where}' must be an object.`);
  if (typeof field.$ref === 'string') return;
  if (typeof field.type !== 'string') throw badRequest(`The field at '${where}' must declare a 'type'.`);
  if (field.type === 'array') {
    if (!isJsonObject(field.items)) throw badRequest(`The array field at '${where}' must declare 'items'.`);
    validateField(field.items, `${where}/items`);
  }
  if (field.properties !== undefined) {
    if (!isJsonObject(field.properties)) throw badRequest(`'${where}/properties' must be an object.`);
    for (const [name, child] of Object.entries(field.properties)) validateField(child, `${where}/properties/${name}`);
  }
}

function lookupFormat(accept: string | undefined): AcceptFormat {
  const format = parseAccept(accept);
  if (format.variant === 'id')
    throw notAcceptable(`The Accept format ${format.mediaType} is not available for a lookup.`);
  if (format.version === undefined) {
    throw xdmError(
      400,
      1007,
      'Accept header invalid',
      `The supplied Accept header is not valid: ${accept} - A valid Accept value should look like application/vnd.adobe.xed+json; version=1 (Version should be specified)`,
    );
  }
  return format;
}

function listFormat(accept: string | undefined): AcceptFormat {
  const format = parseAccept(accept);
  if (format.version !== undefined) {
    throw xdmError(
      400,
      1006,
      'Accept header invalid',
      `The supplied Accept header is not valid: ${accept} - A valid Accept value should look like application/vnd.adobe.xed-id+json`,
    );
  }
  if (format.variant !== '' && format.variant !== 'id') {
    throw notAcceptable(`The Accept format ${format.mediaType} is not available for a list.`);
  }
  return format;
}

const acceptPattern =
  /^application\/vnd\.adobe\.(?:xed|xdm)(?:-(id|full|notext|full-notext|full-desc|deprecatefield))?\+json$/;

function parseAccept(accept: string | undefined): AcceptFormat {
  const first = (accept ?? '').split(',')[0]!.trim();
  if (first === '' || first === '*/*') throw notAcceptable('Accept header parameter is required');
  const [mediaTypeText, ...parameters] = first.split(';').map((part) => part.trim());
  const mediaType = (mediaTypeText ?? '').toLowerCase();
  const match = acceptPattern.exec(mediaType);
  if (!match) throw notAcceptable(`The Accept format ${mediaType} is not supported by the Schema Registry.`);
  const versionParameter = parameters.find((parameter) => /^version\s*=/i.test(parameter));
  const version = versionParameter?.split('=')[1]?.trim();
  return { variant: match[1] ?? '', version: version === '' ? undefined : version, mediaType };
}

/** The older documented 406 shape for a missing or unusable Accept header. */
function notAcceptable(detail: string): SimulatorHttpError {
  return new SimulatorHttpError(406, {
    type: '/placeholder/type/uri',
    status: 406,
    title: 'NotAcceptableError',
    detail,
  });
}

function notFound(kind: XdmKind, reference: string): SimulatorHttpError {
  return xdmError(404, kinds[kind].notFoundCode, 'Resource Not Found', `Requested resource ${reference} is not found`);
}

function badRequest(detail: string): SimulatorHttpError {
  return xdmError(400, 1000, 'Invalid request', detail);
}

/** Flow Service's JSON Patch helper speaks Flow Service errors; the registry answers with its own shape. */
function asXdmBadRequest(error: unknown): unknown {
  if (!(error instanceof SimulatorHttpError)) return error;
  const body = error.body as { errorMessage?: unknown } | undefined;
  return xdmError(
    400,
    1000,
    'Invalid patch',
    typeof body?.errorMessage === 'string' ? body.errorMessage : error.message,
  );
}

function requireObject(body: unknown): JsonObject {
  if (!isJsonObject(body)) throw badRequest('The request body must be a JSON object.');
  return body;
}

function sandboxOf(request: FastifyRequest): string {
  return request.headers['x-sandbox-name'] as string;
}

/**
 * The id after the collection path, decoded once. A `$id` must arrive URL-encoded (one path segment);
 * an unencoded one contains a raw '/' and, as on the real registry, names no resource.
 */
function resourceReference(request: FastifyRequest, collection: string): string {
  const rawPath = request.url.split('?')[0]!;
  const rawId = rawPath.slice(collection.length + 1).replace(/\/$/, '');
  if (rawId === '' || rawId.includes('/')) {
    throw xdmError(404, 1010, 'Resource Not Found', `Requested resource ${rawId} is not found`);
  }
  try {
    return decodeURIComponent(rawId);
  } catch {
    throw badRequest(`The resource id '${rawId}' is not correctly URL-encoded.`);
  }
}

function publicView(resource: StoredXdmResource): JsonObject {
  const { id: _id, sandboxName: _sandboxName, ...view } = structuredClone(resource);
  return view;
}

function summary(resource: StoredXdmResource): JsonObject {
  return { $id: resource.$id, 'meta:altId': resource['meta:altId'], version: resource.version, title: resource.title };
}

function registryDate(resource: StoredXdmResource, field: string): number {
  const metadata = resource['meta:registryMetadata'];
  return isJsonObject(metadata) && typeof metadata[field] === 'number' ? metadata[field] : 0;
}

/** Removes titles and descriptions below the root (the `-notext` formats). */
function stripText(view: JsonObject): JsonObject {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (!isJsonObject(value)) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'title' && key !== 'description')
        .map(([key, child]) => [key, strip(child)]),
    );
  };
  return Object.fromEntries(
    Object.entries(view).map(([key, value]) => [key, key === 'title' || key === 'description' ? value : strip(value)]),
  );
}

function nextMinorVersion(version: string): string {
  const [major, minor] = version.split('.');
  return `${major ?? '1'}.${Number(minor ?? 0) + 1}`;
}

/** A stable, uuid-shaped id per sandbox name. */
function sandboxId(sandboxName: string): string {
  const hex = createHash('sha256').update(`sandbox:${sandboxName}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Plain code-point order, the same order `start` is compared in. */
function compareCodePoints(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A field's value as text for sorting and filters; structured values compare by their JSON. */
function scalarText(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function readLimit(text: string | undefined): number {
  if (text === undefined) return defaultListLimit;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`'limit' must be a non-negative integer, got '${text}'.`);
  // AEP treats limit as a hint: at most 500 are returned, and 0 means the default.
  return limit === 0 ? defaultListLimit : Math.min(limit, maximumListLimit);
}

/**
 * `property` filters: repeated parameters or comma-separated conditions such as `title==Name`,
 * `title!=Name`, `title~part` (contains) or a bare field name (exists). All must hold.
 */
function parsePropertyFilters(value: string | string[] | undefined): Array<(resource: StoredXdmResource) => boolean> {
  const raw = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const conditions: string[] = [];
  for (const parameter of raw) {
    for (const piece of parameter.split(',')) {
      // A comma inside a value (no operator after it) belongs to the previous condition.
      if (conditions.length > 0 && !/(==|!=|~|^[\w:$@.-]+$)/.test(piece)) {
        conditions[conditions.length - 1] += `,${piece}`;
      } else {
        conditions.push(piece);
      }
    }
  }
  return conditions.map((condition) => {
    const match = /^([\w:$@.-]+)(==|!=|~)(.*)$/.exec(condition);
    if (!match) {
      if (/^[\w:$@.-]+$/.test(condition)) return (resource) => resource[condition] !== undefined;
      throw badRequest(`Unsupported property filter '${condition}'.`);
    }
    const [, field, operator, expected] = match as unknown as [string, string, string, string];
    return (resource) => {
      const actual = resource[field];
      const values = Array.isArray(actual) ? actual.map(scalarText) : actual === undefined ? [] : [scalarText(actual)];
      if (operator === '==') return values.includes(expected);
      if (operator === '!=') return !values.includes(expected);
      return values.some((item) => item.includes(expected));
    };
  });
}

/**
 * Schema Registry (`/data/foundation/schemaregistry`): tenant field groups and schemas.
 * Lookups by id need a versioned Accept header; lists need the unversioned `xed-id` one. Titles are unique
 * across all resource kinds (XDM-1521-400 on a duplicate).
 */
import { z } from 'zod';
import type { AepRequester, QueryParameters } from './http';
import type { JsonPatchOperation, SchemaRegistryApi, XdmFormat, XdmListQuery } from './index';
import { looseNumber } from './loose-values';
import { queryForNextLink, sameQuery } from './paging';

const basePath = '/data/foundation/schemaregistry';

/** Lists of ids and titles (and the shape `_page.next` paging is built around). */
const listMediaType = 'application/vnd.adobe.xed-id+json';

const lookupMediaTypes: Record<XdmFormat, string> = {
  xed: 'application/vnd.adobe.xed+json; version=1',
  'xed-full': 'application/vnd.adobe.xed-full+json; version=1',
};

export const schemaRegistryStatsSchema = z.looseObject({
  /** Without the leading underscore; the namespace for custom fields is `_${tenantId}`. */
  tenantId: z.string(),
  imsOrg: z.string().optional(),
});
export type SchemaRegistryStats = z.infer<typeof schemaRegistryStatsSchema>;

/** XDM versions look like "1.0" but are compared as strings; tolerate a number. */
const xdmVersion = z.union([z.string(), z.number().transform(String)]);

export const xdmResourceSchema = z.looseObject({
  $id: z.string(),
  'meta:altId': z.string(),
  title: z.string(),
  version: xdmVersion,
  description: z.string().optional(),
  type: z.string().optional(),
  'meta:resourceType': z.string().optional(),
  'meta:class': z.string().optional(),
  'meta:extends': z.array(z.string()).optional(),
  'meta:tenantNamespace': z.string().optional(),
  allOf: z.array(z.unknown()).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  definitions: z.record(z.string(), z.unknown()).optional(),
  /** `repo:createdDate` is epoch milliseconds (Adobe's OpenAPI file, createSchemaResponse). */
  'meta:registryMetadata': z.looseObject({ 'repo:createdDate': z.number().optional() }).optional(),
});
export type XdmResource = z.infer<typeof xdmResourceSchema>;

export const xdmSummarySchema = z.looseObject({
  $id: z.string(),
  'meta:altId': z.string(),
  version: xdmVersion,
  title: z.string(),
});
export type XdmSummary = z.infer<typeof xdmSummarySchema>;

const nextLink = z
  .union([z.string(), z.looseObject({ href: z.string() })])
  .nullable()
  .optional();

const listPageSchema = z.looseObject({
  results: z.array(xdmSummarySchema).default([]),
  _page: z.looseObject({ next: z.union([nextLink, looseNumber]), count: looseNumber.optional() }).optional(),
  _links: z.looseObject({ next: nextLink }).optional(),
});

type Kind = 'fieldgroups' | 'schemas';

export class SchemaRegistry implements SchemaRegistryApi {
  constructor(private readonly requester: AepRequester) {}

  getStats(): Promise<SchemaRegistryStats> {
    return this.requester.send({ method: 'GET', path: `${basePath}/stats`, schema: schemaRegistryStatsSchema });
  }

  createFieldGroup(body: object): Promise<XdmResource> {
    return this.create('fieldgroups', body);
  }
  getFieldGroup(id: string, format: XdmFormat = 'xed'): Promise<XdmResource> {
    return this.get('fieldgroups', id, format);
  }
  listFieldGroups(query?: XdmListQuery): AsyncIterable<XdmSummary> {
    return this.list('fieldgroups', query);
  }
  deleteFieldGroup(id: string): Promise<void> {
    return this.delete('fieldgroups', id);
  }
  patchFieldGroup(id: string, operations: JsonPatchOperation[]): Promise<XdmResource> {
    return this.patch('fieldgroups', id, operations);
  }

  createSchema(body: object): Promise<XdmResource> {
    return this.create('schemas', body);
  }
  getSchema(id: string, format: XdmFormat = 'xed'): Promise<XdmResource> {
    return this.get('schemas', id, format);
  }
  listSchemas(query?: XdmListQuery): AsyncIterable<XdmSummary> {
    return this.list('schemas', query);
  }
  deleteSchema(id: string): Promise<void> {
    return this.delete('schemas', id);
  }
  patchSchema(id: string, operations: JsonPatchOperation[]): Promise<XdmResource> {
    return this.patch('schemas', id, operations);
  }

  private create(kind: Kind, body: object): Promise<XdmResource> {
    return this.requester.send({ method: 'POST', path: `${basePath}/tenant/${kind}`, body, schema: xdmResourceSchema });
  }

  private get(kind: Kind, id: string, format: XdmFormat): Promise<XdmResource> {
    return this.requester.send({
      method: 'GET',
      path: resourcePath(kind, id),
      accept: lookupMediaTypes[format],
      schema: xdmResourceSchema,
    });
  }

  /** A JSON Patch array (`add`/`replace`/`remove`); the registry answers 200 with the resource, version bumped. */
  private patch(kind: Kind, id: string, operations: JsonPatchOperation[]): Promise<XdmResource> {
    return this.requester.send({
      method: 'PATCH',
      path: resourcePath(kind, id),
      body: operations,
      schema: xdmResourceSchema,
    });
  }

  private async delete(kind: Kind, id: string): Promise<void> {
    await this.requester.send({ method: 'DELETE', path: resourcePath(kind, id), schema: z.unknown() });
  }

  /**
   * Pages with `start` taken from `_page.next` (documented to need `orderby`, so we always order by title),
   * or from the query of `_links.next.href` when the server gives a link instead.
   */
  private async *list(kind: Kind, listQuery: XdmListQuery | undefined): AsyncIterable<XdmSummary> {
    const path = `${basePath}/tenant/${kind}`;
    let query: QueryParameters | undefined = {
      orderby: 'title',
      property: listQuery?.title === undefined ? undefined : [`title==${listQuery.title}`],
      limit: listQuery?.limit,
    };
    while (query) {
      const page = await this.requester.send({
        method: 'GET',
        path,
        query,
        accept: listMediaType,
        schema: listPageSchema,
      });
      yield* page.results;
      const nextQuery = nextPageQuery(query, page);
      query = nextQuery && !sameQuery(nextQuery, query) ? nextQuery : undefined;
    }
  }
}

/** `$id`s are URLs: encoded so they stay one path segment. `meta:altId`s pass through unchanged. */
function resourcePath(kind: Kind, id: string): string {
  return `${basePath}/tenant/${kind}/${encodeURIComponent(id)}`;
}

function nextPageQuery(current: QueryParameters, page: z.infer<typeof listPageSchema>): QueryParameters | undefined {
  const linkNext = linkText(page._links?.next);
  if (linkNext) return queryForNextLink(current, linkNext);
  const pageNext = page._page?.next;
  if (pageNext === undefined || pageNext === null || pageNext === '') return undefined;
  if (typeof pageNext === 'number') return { ...current, start: pageNext };
  const pageLink = linkText(pageNext);
  if (pageLink === undefined) return undefined;
  return pageLink.includes('?') ? queryForNextLink(current, pageLink) : { ...current, start: pageLink };
}

function linkText(link: string | { href: string } | null | undefined): string | undefined {
  if (link === null || link === undefined) return undefined;
  const text = typeof link === 'string' ? link : link.href;
  return text === '' ? undefined : text;
}

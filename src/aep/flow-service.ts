/**
 * Flow Service (`/data/foundation/flowservice`): connections, source and target connections, flows, specs, runs.
 * GET by id answers `{items:[x]}`; creates and updates answer `{id, etag}`; PATCH needs the etag as If-Match.
 */
import { z } from 'zod';
import type { AepRequester, QueryParameters } from './http';
import type { CreatedResource, ExploreQuery, FlowServiceApi, JsonPatchOperation, ListQuery, RunQuery } from './index';
import { AepError } from './errors';
import { jsonObject, looseBoolean, looseNumber } from './loose-values';
import { queryForNextLink, sameQuery } from './paging';

const basePath = '/data/foundation/flowservice';

// ---- Schemas ---------------------------------------------------------------------------------------------------

const specReference = z.looseObject({ id: z.string(), version: z.string().optional() });

export const createdResourceSchema = z.looseObject({ id: z.string(), etag: z.string() });

/** Fields every Flow Service entity carries. */
const entityFields = {
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  etag: z.string(),
  version: z.string().optional(),
  state: z.string().optional(),
  createdAt: looseNumber.optional(),
  updatedAt: looseNumber.optional(),
  createdBy: z.string().optional(),
  updatedBy: z.string().optional(),
  sandboxName: z.string().optional(),
  imsOrgId: z.string().optional(),
};

export const connectionSchema = z.looseObject({
  ...entityFields,
  connectionSpec: specReference,
  auth: z.looseObject({ specName: z.string().optional(), params: jsonObject.optional() }).optional(),
});
export type Connection = z.infer<typeof connectionSchema>;

export const sourceConnectionSchema = z.looseObject({
  ...entityFields,
  baseConnectionId: z.string().optional(),
  connectionSpec: specReference,
  data: jsonObject.optional(),
  params: jsonObject.optional(),
});
export type SourceConnection = z.infer<typeof sourceConnectionSchema>;

export const targetConnectionSchema = z.looseObject({
  ...entityFields,
  baseConnectionId: z.string().optional(),
  connectionSpec: specReference,
  data: jsonObject.optional(),
  params: jsonObject.optional(),
});
export type TargetConnection = z.infer<typeof targetConnectionSchema>;

export const scheduleParamsSchema = z.looseObject({
  /** Epoch seconds. */
  startTime: looseNumber,
  frequency: z.string(),
  interval: looseNumber.optional(),
  backfill: looseBoolean.optional(),
});
export type ScheduleParams = z.infer<typeof scheduleParamsSchema>;

export const transformationSchema = z.looseObject({ name: z.string(), params: jsonObject.optional() });
export type Transformation = z.infer<typeof transformationSchema>;

export const flowSchema = z.looseObject({
  ...entityFields,
  flowSpec: specReference,
  sourceConnectionIds: z.array(z.string()).default([]),
  targetConnectionIds: z.array(z.string()).default([]),
  transformations: z.array(transformationSchema).optional(),
  scheduleParams: scheduleParamsSchema.optional(),
  inheritedAttributes: jsonObject.optional(),
  lastOperation: jsonObject.optional(),
  lastRunDetails: z
    .looseObject({
      id: z.string().optional(),
      state: z.string().optional(),
      startedAtUTC: looseNumber.optional(),
      completedAtUTC: looseNumber.optional(),
    })
    .optional(),
});
export type Flow = z.infer<typeof flowSchema>;

const runErrorSchema = z.looseObject({ code: z.string().default(''), message: z.string().default('') });
export type RunError = z.infer<typeof runErrorSchema>;

export const runMetricsSchema = z.looseObject({
  statusSummary: z.looseObject({
    /** success | failed | scheduled | inProgress (compare case-insensitively). */
    status: z.string(),
    errors: z.array(runErrorSchema).optional(),
  }),
  recordSummary: z
    .looseObject({
      inputRecordCount: looseNumber.optional(),
      outputRecordCount: looseNumber.optional(),
      failedRecordCount: looseNumber.optional(),
    })
    .optional(),
  durationSummary: z
    .looseObject({ startedAtUTC: looseNumber.optional(), completedAtUTC: looseNumber.optional() })
    .optional(),
  sizeSummary: z.looseObject({ inputBytes: looseNumber.optional(), outputBytes: looseNumber.optional() }).optional(),
});

export const runSchema = z.looseObject({
  id: z.string(),
  flowId: z.string(),
  etag: z.string().optional(),
  createdAt: looseNumber,
  updatedAt: looseNumber.optional(),
  sandboxName: z.string().optional(),
  metrics: runMetricsSchema,
  activities: z.array(jsonObject).optional(),
});
export type Run = z.infer<typeof runSchema>;

export const connectionSpecSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  providerId: z.string().optional(),
  version: z.string().optional(),
  authSpec: z.array(jsonObject).optional(),
  sourceSpec: jsonObject.optional(),
  exploreSpec: jsonObject.optional(),
  attributes: jsonObject.optional(),
});
export type ConnectionSpec = z.infer<typeof connectionSpecSchema>;

export const flowSpecSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  providerId: z.string().optional(),
  version: z.string().optional(),
  sourceConnectionSpecIds: z.array(z.string()).optional(),
  targetConnectionSpecIds: z.array(z.string()).optional(),
  transformationSpecs: z.array(jsonObject).optional(),
  attributes: jsonObject.optional(),
});
export type FlowSpec = z.infer<typeof flowSpecSchema>;

/**
 * A preview (`preview=true`) answers `{format, schema, data}`; browsing a directory answers a bare array of
 * entries, which we present as `{items}` so callers always get an object.
 */
export const exploreResultSchema = z.preprocess(
  (body) => (Array.isArray(body) ? { items: body as unknown[] } : body),
  z.looseObject({
    format: z.string().optional(),
    schema: z.unknown().optional(),
    data: z.array(z.unknown()).optional(),
    items: z.array(jsonObject).optional(),
  }),
);
export type ExploreResult = z.infer<typeof exploreResultSchema>;

/** A `{id, version}` reference to a connection or flow spec, as create bodies send it. */
export interface SpecReference {
  id: string;
  version: string;
}

export interface CreateConnectionBody {
  name: string;
  description?: string;
  connectionSpec: SpecReference;
  auth: { specName: string; params: Record<string, unknown> };
  [field: string]: unknown;
}

export interface CreateSourceConnectionBody {
  name: string;
  description?: string;
  baseConnectionId?: string;
  connectionSpec: SpecReference;
  data?: { format: string; [field: string]: unknown };
  params?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface CreateTargetConnectionBody {
  name: string;
  description?: string;
  connectionSpec: SpecReference;
  data?: { format: string; schema?: { id: string; version: string }; [field: string]: unknown };
  params: { dataSetId: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface CreateFlowBody {
  name: string;
  description?: string;
  flowSpec: SpecReference;
  sourceConnectionIds: string[];
  targetConnectionIds: string[];
  transformations?: Array<{ name: string; params: Record<string, unknown> }>;
  /** startTime in epoch seconds; AEP accepts numbers or strings. */
  scheduleParams?: { startTime: number | string; frequency: string; interval?: number | string; backfill?: boolean };
  [field: string]: unknown;
}

const countSchema = z.looseObject({ count: looseNumber });
const testResultSchema = z.unknown();

// ---- API -------------------------------------------------------------------------------------------------------

function itemsSchema<T>(item: z.ZodType<T>) {
  return z.looseObject({ items: z.array(item) });
}

const listPageSchema = z.looseObject({
  items: z.array(z.unknown()).default([]),
  _links: z.looseObject({ next: z.looseObject({ href: z.string() }).optional().nullable() }).optional(),
  continuationToken: z.string().optional().nullable(),
});

/** The collections that share create/get/list/patch/delete. */
type Collection = 'connections' | 'sourceConnections' | 'targetConnections' | 'flows';

export class FlowService implements FlowServiceApi {
  constructor(private readonly requester: AepRequester) {}

  // -- connections
  createConnection(body: CreateConnectionBody): Promise<CreatedResource> {
    return this.create('connections', body);
  }
  getConnection(id: string): Promise<Connection> {
    return this.getById('connections', id, connectionSchema);
  }
  listConnections(query?: ListQuery): AsyncIterable<Connection> {
    return this.list('connections', connectionSchema, listParameters(query));
  }
  async countConnections(property?: string[]): Promise<number> {
    const answer = await this.requester.send({
      method: 'GET',
      path: `${basePath}/connections`,
      query: { property, count: 'true' },
      schema: countSchema,
    });
    return answer.count;
  }
  patchConnection(id: string, operations: JsonPatchOperation[], etag: string): Promise<CreatedResource> {
    return this.patch('connections', id, operations, etag);
  }
  deleteConnection(id: string): Promise<void> {
    return this.delete('connections', id);
  }
  exploreConnection(id: string, query: ExploreQuery): Promise<ExploreResult> {
    return this.requester.send({
      method: 'GET',
      path: `${basePath}/connections/${encodeURIComponent(id)}/explore`,
      query: {
        objectType: query.objectType,
        object: query.object,
        fileType: query.fileType,
        preview: query.preview === undefined ? undefined : String(query.preview),
      },
      schema: exploreResultSchema,
    });
  }
  testConnection(id: string): Promise<unknown> {
    return this.requester.send({
      method: 'GET',
      path: `${basePath}/connections/${encodeURIComponent(id)}/test`,
      schema: testResultSchema,
    });
  }
  getConnectionSpec(id: string): Promise<ConnectionSpec> {
    return this.getById('connectionSpecs', id, connectionSpecSchema);
  }

  // -- source connections
  createSourceConnection(body: CreateSourceConnectionBody): Promise<CreatedResource> {
    return this.create('sourceConnections', body);
  }
  getSourceConnection(id: string): Promise<SourceConnection> {
    return this.getById('sourceConnections', id, sourceConnectionSchema);
  }
  listSourceConnections(query?: ListQuery): AsyncIterable<SourceConnection> {
    return this.list('sourceConnections', sourceConnectionSchema, listParameters(query));
  }
  patchSourceConnection(id: string, operations: JsonPatchOperation[], etag: string): Promise<CreatedResource> {
    return this.patch('sourceConnections', id, operations, etag);
  }
  deleteSourceConnection(id: string): Promise<void> {
    return this.delete('sourceConnections', id);
  }

  // -- target connections
  createTargetConnection(body: CreateTargetConnectionBody): Promise<CreatedResource> {
    return this.create('targetConnections', body);
  }
  getTargetConnection(id: string): Promise<TargetConnection> {
    return this.getById('targetConnections', id, targetConnectionSchema);
  }
  listTargetConnections(query?: ListQuery): AsyncIterable<TargetConnection> {
    return this.list('targetConnections', targetConnectionSchema, listParameters(query));
  }
  patchTargetConnection(id: string, operations: JsonPatchOperation[], etag: string): Promise<CreatedResource> {
    return this.patch('targetConnections', id, operations, etag);
  }
  deleteTargetConnection(id: string): Promise<void> {
    return this.delete('targetConnections', id);
  }

  // -- flows
  createFlow(body: CreateFlowBody): Promise<CreatedResource> {
    return this.create('flows', body);
  }
  getFlow(id: string): Promise<Flow> {
    return this.getById('flows', id, flowSchema);
  }
  listFlows(query?: ListQuery): AsyncIterable<Flow> {
    return this.list('flows', flowSchema, listParameters(query));
  }
  patchFlow(id: string, operations: JsonPatchOperation[], etag: string): Promise<CreatedResource> {
    return this.patch('flows', id, operations, etag);
  }
  deleteFlow(id: string): Promise<void> {
    return this.delete('flows', id);
  }
  /** Documented without body or If-Match, with a lowercase op. */
  flowAction(id: string, op: 'enable' | 'disable'): Promise<CreatedResource> {
    return this.requester.send({
      method: 'POST',
      path: `${basePath}/flows/${encodeURIComponent(id)}/action`,
      query: { op },
      schema: createdResourceSchema,
    });
  }
  getFlowSpec(id: string): Promise<FlowSpec> {
    return this.getById('flowSpecs', id, flowSpecSchema);
  }

  // -- runs
  listRuns(query: RunQuery): AsyncIterable<Run> {
    const property = [...(query.property ?? [])];
    if (query.flowId !== undefined) property.push(`flowId==${query.flowId}`);
    if (query.startedAfterMs !== undefined) {
      property.push(`metrics.durationSummary.startedAtUTC>${query.startedAfterMs}`);
    }
    return this.list('runs', runSchema, { property: property.length > 0 ? property : undefined, limit: query.limit });
  }
  getRun(id: string): Promise<Run> {
    return this.getById('runs', id, runSchema);
  }

  // ---- shared mechanics

  private create(collection: Collection, body: object): Promise<CreatedResource> {
    return this.requester
      .send({ method: 'POST', path: `${basePath}/${collection}`, body, schema: createdResourceSchema })
      .then(({ id, etag }) => ({ id, etag }));
  }

  private async getById<T>(collection: string, id: string, schema: z.ZodType<T>): Promise<T> {
    const path = `${basePath}/${collection}/${encodeURIComponent(id)}`;
    const answer = await this.requester.send({ method: 'GET', path, schema: itemsSchema(schema) });
    const item = answer.items[0];
    if (item === undefined) throw emptyItems(path);
    return item;
  }

  private patch(
    collection: Collection,
    id: string,
    operations: JsonPatchOperation[],
    etag: string,
  ): Promise<CreatedResource> {
    return this.requester
      .send({
        method: 'PATCH',
        path: `${basePath}/${collection}/${encodeURIComponent(id)}`,
        body: operations,
        ifMatch: etag,
        schema: createdResourceSchema,
      })
      .then(({ id: patchedId, etag: newEtag }) => ({ id: patchedId, etag: newEtag }));
  }

  private async delete(collection: Collection, id: string): Promise<void> {
    await this.requester.send({
      method: 'DELETE',
      path: `${basePath}/${collection}/${encodeURIComponent(id)}`,
      schema: z.unknown(),
    });
  }

  /** Walks every page: `_links.next.href` (or a top-level continuationToken) until there is none. */
  private async *list<T>(collection: string, itemSchema: z.ZodType<T>, firstQuery: QueryParameters): AsyncIterable<T> {
    const path = `${basePath}/${collection}`;
    const pageSchema = listPageSchema.extend({ items: z.array(itemSchema).default([]) });
    let query: QueryParameters | undefined = firstQuery;
    while (query) {
      const page: z.infer<typeof pageSchema> = await this.requester.send({
        method: 'GET',
        path,
        query,
        schema: pageSchema,
      });
      yield* page.items;
      const nextQuery = nextPageQuery(query, page);
      query = nextQuery && !sameQuery(nextQuery, query) ? nextQuery : undefined;
    }
  }
}

function listParameters(query: ListQuery | undefined): QueryParameters {
  return { property: query?.property, orderby: query?.orderby, limit: query?.limit };
}

function nextPageQuery(
  current: QueryParameters,
  page: { _links?: { next?: { href: string } | null }; continuationToken?: string | null },
): QueryParameters | undefined {
  const href = page._links?.next?.href;
  if (href) return queryForNextLink(current, href);
  if (page.continuationToken) return { ...current, continuationToken: page.continuationToken };
  return undefined;
}

/** AEP answered 200 with no item: treat it like the 404 it means. */
function emptyItems(path: string): Error {
  return new AepError({
    method: 'GET',
    path,
    status: 404,
    code: 'EMPTY_ITEMS',
    detail: 'the response had no items',
    requestId: undefined,
    retryable: false,
    retryAfterMs: undefined,
  });
}

/**
 * Catalog (`/data/foundation/catalog`): datasets. Creates answer `["@/dataSets/<id>"]`; reads answer an object
 * keyed by dataset id; lists page by offset (`start`, `limit`).
 */
import { z } from 'zod';
import { AepError } from './errors';
import type { AepRequester } from './http';
import type { CatalogApi, NamedListQuery } from './index';
import { looseNumber } from './loose-values';

const basePath = '/data/foundation/catalog';
/** Catalog's documented maximum page size. */
const defaultPageSize = 100;

export interface CreateDatasetBody {
  name: string;
  description?: string;
  schemaRef: { id: string; contentType: string };
  tags?: Record<string, string[]>;
  [field: string]: unknown;
}

const datasetFields = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  state: z.string().optional(),
  schemaRef: z.looseObject({ id: z.string(), contentType: z.string().optional() }).optional(),
  tags: z.record(z.string(), z.unknown()).optional(),
  version: z.string().optional(),
  imsOrg: z.string().optional(),
  created: looseNumber.optional(),
  updated: looseNumber.optional(),
  viewId: z.string().optional(),
  files: z.string().optional(),
});

export const datasetSchema = datasetFields.extend({ id: z.string() });
export type Dataset = z.infer<typeof datasetSchema>;

const datasetsByIdSchema = z.record(z.string(), datasetFields);
const objectReferencesSchema = z.array(z.string());

export class Catalog implements CatalogApi {
  constructor(private readonly requester: AepRequester) {}

  async createDataset(body: CreateDatasetBody): Promise<string> {
    const path = `${basePath}/dataSets`;
    const references = await this.requester.send({ method: 'POST', path, body, schema: objectReferencesSchema });
    const id = references.map(idFromReference).find((candidate) => candidate !== undefined);
    if (id === undefined) throw unexpectedBody('POST', path, `no "@/dataSets/<id>" in ${JSON.stringify(references)}`);
    return id;
  }

  async getDataset(id: string): Promise<Dataset> {
    const path = `${basePath}/dataSets/${encodeURIComponent(id)}`;
    const byId = await this.requester.send({ method: 'GET', path, schema: datasetsByIdSchema });
    const dataset = byId[id] ?? Object.values(byId)[0];
    if (dataset === undefined) throw unexpectedBody('GET', path, 'the response names no dataset', 404);
    return { ...dataset, id: byId[id] ? id : (Object.keys(byId)[0] ?? id) };
  }

  async *listDatasets(query?: NamedListQuery): AsyncIterable<Dataset> {
    const path = `${basePath}/dataSets`;
    const pageSize = query?.limit ?? defaultPageSize;
    for (let start = 0; ; start += pageSize) {
      const byId = await this.requester.send({
        method: 'GET',
        path,
        // A stable order keeps offset paging from skipping or repeating datasets created meanwhile.
        query: {
          name: query?.name,
          limit: pageSize,
          start,
          orderBy: 'asc:created',
          // Every item is parsed as a dataset, which has a name.
          properties: query?.properties ? [...new Set(['name', ...query.properties])].join(',') : undefined,
        },
        schema: datasetsByIdSchema,
      });
      const entries = Object.entries(byId);
      for (const [id, dataset] of entries) yield { ...dataset, id };
      if (entries.length < pageSize) return;
    }
  }

  /** Catalog answers 200 `["@/dataSets/<id>"]`; the body names the fields to set (Catalog's update-object guide). */
  async updateDataset(id: string, fields: { name?: string; description?: string }): Promise<void> {
    await this.requester.send({
      method: 'PATCH',
      path: `${basePath}/dataSets/${encodeURIComponent(id)}`,
      body: fields,
      schema: z.unknown(),
    });
  }

  /** Catalog answers 200 `["@/dataSets/<id>"]`, or 200 `[]` for an id it does not know. */
  async deleteDataset(id: string): Promise<void> {
    await this.requester.send({
      method: 'DELETE',
      path: `${basePath}/dataSets/${encodeURIComponent(id)}`,
      schema: z.unknown(),
    });
  }
}

/** `@/dataSets/5c8c3c555033b814b69f947f` → `5c8c3c555033b814b69f947f`. */
function idFromReference(reference: string): string | undefined {
  const match = /^@\/dataSets\/([^/?#]+)$/.exec(reference.trim());
  return match?.[1];
}

function unexpectedBody(method: string, path: string, detail: string, status = 200): AepError {
  return new AepError({
    method,
    path,
    status,
    code: 'UNEXPECTED_RESPONSE',
    detail,
    requestId: undefined,
    retryable: false,
    retryAfterMs: undefined,
  });
}

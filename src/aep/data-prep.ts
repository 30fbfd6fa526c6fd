/**
 * Data Prep (`/data/foundation/conversion`): mapping sets. Create answers 200 with a 32-hex id at version 0;
 * PUT replaces the set and answers it at version + 1; lists page by offset (`start`, `limit`).
 */
import { z } from 'zod';
import type { AepRequester } from './http';
import type { DataPrepApi, NamedListQuery } from './index';
import { jsonObject, looseNumber } from './loose-values';

const basePath = '/data/foundation/conversion';
const defaultPageSize = 50;

export const mappingSetSummarySchema = z.looseObject({
  id: z.string(),
  version: looseNumber,
  createdDate: looseNumber.optional(),
  modifiedDate: looseNumber.optional(),
  createdBy: z.string().optional(),
  modifiedBy: z.string().optional(),
});
export type MappingSetSummary = z.infer<typeof mappingSetSummarySchema>;

export const mappingSchema = z.looseObject({
  id: z.string().optional(),
  sourceType: z.string().optional(),
  source: z.string(),
  destination: z.string(),
  name: z.string().optional(),
  description: z.string().optional(),
});
export type Mapping = z.infer<typeof mappingSchema>;

export const mappingSetSchema = mappingSetSummarySchema.extend({
  name: z.string().optional(),
  status: z.string().optional(),
  mappings: z.array(mappingSchema).default([]),
  xdmSchema: z.string().optional().nullable(),
  outputSchema: jsonObject.optional().nullable(),
  schemaRef: jsonObject.optional().nullable(),
});
export type MappingSet = z.infer<typeof mappingSetSchema>;

const listPageSchema = z.looseObject({
  data: z.array(mappingSetSchema).default([]),
  _page: z.looseObject({ count: looseNumber.optional(), limit: looseNumber.optional() }).optional(),
});

export class DataPrep implements DataPrepApi {
  constructor(private readonly requester: AepRequester) {}

  createMappingSet(body: object): Promise<MappingSetSummary> {
    return this.requester.send({
      method: 'POST',
      path: `${basePath}/mappingSets`,
      body,
      schema: mappingSetSummarySchema,
    });
  }

  getMappingSet(id: string, version?: number): Promise<MappingSet> {
    return this.requester.send({
      method: 'GET',
      path: mappingSetPath(id),
      query: { version },
      schema: mappingSetSchema,
    });
  }

  async *listMappingSets(query?: NamedListQuery): AsyncIterable<MappingSet> {
    const pageSize = query?.limit ?? defaultPageSize;
    for (let start = 0; ; start += pageSize) {
      const page = await this.requester.send({
        method: 'GET',
        path: `${basePath}/mappingSets`,
        query: { name: query?.name, limit: pageSize, start },
        schema: listPageSchema,
      });
      yield* page.data;
      if (page.data.length < pageSize) return;
    }
  }

  updateMappingSet(id: string, body: object): Promise<MappingSet> {
    return this.requester.send({ method: 'PUT', path: mappingSetPath(id), body, schema: mappingSetSchema });
  }

  async deleteMappingSet(id: string): Promise<void> {
    await this.requester.send({ method: 'DELETE', path: mappingSetPath(id), schema: z.unknown() });
  }
}

function mappingSetPath(id: string): string {
  return `${basePath}/mappingSets/${encodeURIComponent(id)}`;
}

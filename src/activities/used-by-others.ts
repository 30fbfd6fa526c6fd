/**
 * Whether another dataflow uses a data resource of this one (DESIGN invariant 8). Provisioning reuses a dataset
 * with the spec's name and a schema with its title, whoever made them, so a resource carrying this dataflow's mark
 * may be what another dataflow writes into. Rollback and teardown both ask here before deleting one, and keep it
 * when something answers: a dataset another dataflow's target connection writes into, a schema another dataflow's
 * dataset or mapping set follows (directly, or through our dataset it writes into), a field group under the schema
 * with its title. Each answer names the user, so what is kept can be said.
 */
import type { SandboxClient, XdmResource } from '../aep';
import { markedDataflow } from '../contracts/ownership-mark';
import { dataflowOfResourceName, dataflowResourceNames, schemaTitleOfFieldGroup } from '../contracts/resource-names';
import { firstOf } from './dataflow-ref';
import { ownerOf, readUnlessMissing } from './owned-deletes';

/** The dataflow asking: only its sandbox and name matter (its mark, its mapping set's name). */
export interface DataflowIdentity {
  sandbox: string;
  name: string;
}

/** Who uses the resource: the first other user found, with the dataflow it belongs to when that can be told. */
export interface OtherUse {
  kind: 'dataset' | 'target connection' | 'mapping set' | 'schema';
  id: string;
  /** The dataflow whose mark (or, for a mapping set, whose name) the user carries; none when made by hand. */
  dataflow?: DataflowIdentity;
  /** When the use goes through a resource of ours that is kept for it (a dataset under the schema). */
  through?: string;
}

/** `used by dataflow sandbox/name's target connection 9f… [through dataset 5e…]`, said of a resource that is kept. */
export function describeUse(use: OtherUse): string {
  const whose = use.dataflow ? `dataflow ${use.dataflow.sandbox}/${use.dataflow.name}'s ` : '';
  return `used by ${whose}${use.kind} ${use.id}${use.through ? ` through ${use.through}` : ''}`;
}

/** A target connection that is not this dataflow's writes into the dataset (page by page, no further than the first). */
export async function datasetUsedByOthers(
  sandbox: SandboxClient,
  dataflow: DataflowIdentity,
  datasetId: string,
): Promise<OtherUse | undefined> {
  const writer = await firstOf(
    sandbox.flowService.listTargetConnections({ property: [`params.dataSetId==${datasetId}`] }),
    (connection) =>
      connection.params?.dataSetId === datasetId && ownerOf(connection.description, dataflow) !== 'this-dataflow',
  );
  return writer ? withOwner('target connection', writer.id, markedDataflow(writer.description)) : undefined;
}

/**
 * A dataset or mapping set that is not this dataflow's follows the schema, or a dataset of ours that is still there
 * because another dataflow writes into it (page by page, no further than the first). Our own others are deleted
 * before the schema (rollback and teardown go newest first); the mapping set carries no mark, so its name tells.
 */
export async function schemaUsedByOthers(
  sandbox: SandboxClient,
  dataflow: DataflowIdentity,
  schemaId: string,
): Promise<OtherUse | undefined> {
  for await (const dataset of sandbox.catalog.listDatasets({ properties: ['schemaRef', 'description'] })) {
    if (dataset.schemaRef?.id !== schemaId) continue;
    if (ownerOf(dataset.description, dataflow) !== 'this-dataflow') {
      return withOwner('dataset', dataset.id, markedDataflow(dataset.description));
    }
    const throughOurs = await datasetUsedByOthers(sandbox, dataflow, dataset.id);
    if (throughOurs) return { ...throughOurs, through: `dataset ${dataset.id}` };
  }
  const ourMappingSet = dataflowResourceNames({ ...dataflow, schemaTitle: '' }).mappingSet;
  for await (const mappingSet of sandbox.dataPrep.listMappingSets()) {
    if (mappingSet.name !== ourMappingSet && mappingSetSchemaIds(mappingSet).includes(schemaId)) {
      return withOwner('mapping set', mappingSet.id, dataflowOfResourceName(mappingSet.name));
    }
  }
  return undefined;
}

/**
 * The schema with the title the field group was made for still builds on it. Titles are unique and provisioning
 * gives each schema title one field group, so that schema is the one that would; if it is still there (another
 * dataflow's, or ours kept for others), so is its field group.
 */
export async function fieldGroupUsedByOthers(
  registry: SandboxClient['schemaRegistry'],
  fieldGroup: Pick<XdmResource, '$id' | 'title'>,
  schemaTitle: string | undefined = schemaTitleOfFieldGroup(fieldGroup.title),
): Promise<OtherUse | undefined> {
  if (schemaTitle === undefined) return undefined;
  const schema = await schemaTitled(registry, schemaTitle);
  if (!schema || !extendsOf(schema).includes(fieldGroup.$id)) return undefined;
  return withOwner('schema', schema['meta:altId'], markedDataflow(schema.description));
}

/** The schema with this title, read in full (its description and what it extends); undefined when there is none. */
export async function schemaTitled(
  registry: SandboxClient['schemaRegistry'],
  title: string,
): Promise<XdmResource | undefined> {
  const summary = await firstOf(registry.listSchemas({ title }), (schema) => schema.title === title);
  return summary ? readUnlessMissing(() => registry.getSchema(summary['meta:altId'], 'xed')) : undefined;
}

/** What an XDM resource builds on: `meta:extends` and the `$ref`s of `allOf`. */
export function extendsOf(resource: XdmResource): string[] {
  const references = (resource.allOf ?? []).flatMap((entry) =>
    typeof entry === 'object' && entry !== null && typeof (entry as { $ref?: unknown }).$ref === 'string'
      ? [(entry as { $ref: string }).$ref]
      : [],
  );
  return [...new Set([...(resource['meta:extends'] ?? []), ...references])];
}

function withOwner(kind: OtherUse['kind'], id: string, dataflow: DataflowIdentity | undefined): OtherUse {
  return dataflow ? { kind, id, dataflow } : { kind, id };
}

/** The schema a mapping set writes to, in whichever of its shapes AEP shows it. */
function mappingSetSchemaIds(mappingSet: {
  outputSchema?: Record<string, unknown> | null;
  schemaRef?: Record<string, unknown> | null;
  xdmSchema?: string | null;
}): string[] {
  const idOf = (reference: unknown) =>
    typeof reference === 'object' && reference !== null ? (reference as { id?: unknown }).id : undefined;
  return [idOf(mappingSet.outputSchema?.schemaRef), idOf(mappingSet.schemaRef), mappingSet.xdmSchema].filter(
    (id): id is string => typeof id === 'string',
  );
}

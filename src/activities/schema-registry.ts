/**
 * Schema Registry step: the tenant field group and the schema that the dataset follows. A field group or schema
 * that already has the title is reused when it holds every field the mapping writes to, and refused clearly
 * otherwise (titles are unique per organisation, so we cannot make a second one).
 */
import { AepError, type SandboxClient, type XdmResource } from '../aep';
import { markedDataflow } from '../contracts/ownership-mark';
import { fieldGroupBody, missingTenantFields, schemaBody } from '../contracts/target-schema';
import { asStep, checkFailure } from './aep-failure';
import type {
  DataflowRef,
  DeleteOutcome,
  DeleteTargetSchemaInput,
  EnsureTargetSchemaInput,
  ProvisioningActivities,
  TargetSchemaResult,
} from '../contracts/provisioning-activities';
import { firstOf, namesOf } from './dataflow-ref';
import type { ActivityDependencies } from './dependencies';
import { isFirstAttempt, mustLookFirst } from './look-first';
import { handedOverEarlier, handOverPatch, handOverSchema } from './hand-over';
import { clockSkewAllowanceMs, madeByThisRun } from './made-by-this-run';
import { deleteOwned, readUnlessMissing, type Described } from './owned-deletes';
import { fieldGroupUsedByOthers, schemaTitled, schemaUsedByOthers } from './used-by-others';

export function createSchemaRegistryActivities({
  aep,
}: ActivityDependencies): Pick<ProvisioningActivities, 'ensureTargetSchema' | 'deleteTargetSchema'> {
  const registry = (dataflow: DataflowRef): SandboxClient['schemaRegistry'] =>
    aep.forSandbox(dataflow.sandbox).schemaRegistry;
  // The tenant id belongs to the organisation and never changes: ask once per worker, not once per dataflow.
  let tenantIdOfOrganisation: Promise<string> | undefined;
  const tenantIdOf = (api: SandboxClient['schemaRegistry']): Promise<string> => {
    tenantIdOfOrganisation ??= api.getStats().then(
      ({ tenantId }) => tenantId,
      (error: unknown) => {
        tenantIdOfOrganisation = undefined;
        throw error;
      },
    );
    return tenantIdOfOrganisation;
  };

  return {
    async ensureTargetSchema(input: EnsureTargetSchemaInput): Promise<TargetSchemaResult> {
      const { dataflow } = input;
      // A first attempt knows what it made itself; only a retry must judge what an earlier attempt may have made.
      const earlierAttemptMayHaveMade = input.runStartedAtMs !== undefined && !isFirstAttempt();
      const madeByUs = (resource: XdmResource) =>
        earlierAttemptMayHaveMade &&
        madeByThisRun(
          { description: resource.description, createdDate: createdDateOf(resource) },
          dataflow,
          input.runStartedAtMs!,
        );
      /** A field group this call made, in a pass that then found the schema's title taken. */
      let madeInEarlierPass: XdmResource | undefined;

      /** Reuses the schema (or the field group) with the title when it fits, or builds it. */
      async function buildOrReuse(
        api: SandboxClient['schemaRegistry'],
        tenantId: string,
        lookFirst: boolean,
      ): Promise<TargetSchemaResult> {
        const schemaTitle = dataflow.schemaTitle;
        const fieldGroupTitle = namesOf(dataflow).fieldGroupTitle;

        const existingSchema = lookFirst
          ? await firstOf(api.listSchemas({ title: schemaTitle }), (s) => s.title === schemaTitle)
          : undefined;
        if (existingSchema) {
          const resolved = await api.getSchema(existingSchema['meta:altId'], 'xed-full');
          const lacking = [
            ...input.classFields.filter((field) => !hasRootProperty(resolved, field)),
            ...missingTenantFields(resolved, tenantId, input.tenantFields).map((field) => `_${tenantId}.${field}`),
          ];
          if (lacking.length > 0) {
            throw checkFailure(
              'target-schema',
              `a schema titled "${schemaTitle}" already exists but lacks ${lacking.join(', ')}: ` +
                'choose another target.schemaTitle (titles are unique) or add those fields to it',
            );
          }
          const ourFieldGroup = await firstOf(
            api.listFieldGroups({ title: fieldGroupTitle }),
            (f) => f.title === fieldGroupTitle,
          );
          const extendsOurs =
            ourFieldGroup !== undefined && (resolved['meta:extends'] ?? []).includes(ourFieldGroup.$id);
          // A field group this run made for a schema that turned out to exist already, without it: unused, ours.
          let unusedDeleted = false;
          if (ourFieldGroup && !extendsOurs && (madeInEarlierPass || earlierAttemptMayHaveMade)) {
            const fieldGroup = madeInEarlierPass ?? (await api.getFieldGroup(ourFieldGroup['meta:altId'], 'xed'));
            if (fieldGroup === madeInEarlierPass || madeByUs(fieldGroup)) {
              await api.deleteFieldGroup(fieldGroup['meta:altId']);
              unusedDeleted = true;
            }
          }
          const schemaMadeByUs = madeByUs(resolved);
          const marked = markedDataflow(resolved.description);
          const othersMark = marked && (marked.sandbox !== dataflow.sandbox || marked.name !== dataflow.name);
          return {
            ...(othersMark ? { schemaOwner: `${marked.sandbox}/${marked.name}` } : {}),
            tenantId,
            fieldGroupId: extendsOurs
              ? ourFieldGroup.$id
              : (tenantFieldGroupOf(resolved) ?? (unusedDeleted ? undefined : ourFieldGroup?.$id) ?? ''),
            schemaId: resolved.$id,
            schemaAltId: resolved['meta:altId'],
            // Only an earlier attempt of this run can have made a schema that has our field group.
            fieldGroupCreated: schemaMadeByUs && extendsOurs,
            schemaCreated: schemaMadeByUs,
          };
        }

        let fieldGroup: XdmResource;
        let fieldGroupCreated = false;
        const existingFieldGroup = lookFirst
          ? await firstOf(api.listFieldGroups({ title: fieldGroupTitle }), (f) => f.title === fieldGroupTitle)
          : undefined;
        if (existingFieldGroup) {
          fieldGroup = await api.getFieldGroup(existingFieldGroup['meta:altId'], 'xed');
          const lacking = missingTenantFields(fieldGroup, tenantId, input.tenantFields);
          if (lacking.length > 0) {
            throw checkFailure(
              'target-schema',
              `a field group titled "${fieldGroupTitle}" already exists but lacks ${lacking.map((f) => `_${tenantId}.${f}`).join(', ')}: ` +
                'choose another target.schemaTitle or delete that field group',
            );
          }
          fieldGroupCreated = madeInEarlierPass?.$id === fieldGroup.$id || madeByUs(fieldGroup);
        } else {
          fieldGroup = await api.createFieldGroup(
            fieldGroupBody({ tenantId, title: fieldGroupTitle, description: input.description }),
          );
          fieldGroupCreated = true;
          madeInEarlierPass = fieldGroup;
        }

        const schema = await api.createSchema(
          schemaBody({ title: schemaTitle, description: input.description, fieldGroupId: fieldGroup.$id }),
        );
        return {
          tenantId,
          fieldGroupId: fieldGroup.$id,
          schemaId: schema.$id,
          schemaAltId: schema['meta:altId'],
          fieldGroupCreated,
          schemaCreated: true,
        };
      }

      return asStep('target-schema', async () => {
        const api = registry(dataflow);
        const tenantId = await tenantIdOf(api);
        // Titles are unique: when something else has the field group's or the schema's title (a provisioning
        // sharing this schema title, started at the same time, or one made before when nobody surveyed), AEP
        // refuses ours (XDM-1521-400). Look again and reuse theirs, as if it had been there before: it carries
        // their mark, so our rollback keeps it.
        for (let pass = 1; ; pass += 1) {
          try {
            return await buildOrReuse(api, tenantId, pass === 1 ? mustLookFirst(input.lookFirst) : true);
          } catch (error) {
            if (!isTitleTaken(error) || pass >= titleRacePasses) throw error;
          }
        }
      });
    },

    /**
     * Compensation: the schema first (it references the field group), each only when asked, and each only when it
     * is this dataflow's (see owned-deletes.ts): a schema with the spec's title may be another dataflow's, made
     * while both were provisioned. XDM lists show no description, so each candidate is read for its mark. One of
     * ours that another dataflow has meanwhile built on (its dataset or mapping set on the schema, its schema on
     * the field group) is kept, and handed over to that dataflow (its field group with it), so its teardown
     * deletes them: this dataflow will have no monitor to.
     */
    async deleteTargetSchema(input: DeleteTargetSchemaInput): Promise<DeleteOutcome> {
      return asStep('delete target schema', async () => {
        const { dataflow } = input;
        const sandbox = aep.forSandbox(dataflow.sandbox);
        const api = sandbox.schemaRegistry;
        const schemaTitle = dataflow.schemaTitle;
        const readSchema = async (id: string) => describedXdm(await api.getSchema(id, 'xed'));
        const titled = async () => {
          const schema = await schemaTitled(api, schemaTitle);
          return schema ? describedXdm(schema) : undefined;
        };
        // A retry after this rollback handed one over (its answer lost) finds it with the user's mark: kept.
        const handedOverByThisRun = (found: DescribedXdm, runStartedAtMs: number) =>
          handedOverEarlier(found.description, dataflow) &&
          found.createdDate !== undefined &&
          found.createdDate >= runStartedAtMs - clockSkewAllowanceMs;
        const thisRuns = (found: DescribedXdm | undefined): DescribedXdm[] =>
          found &&
          (input.runStartedAtMs === undefined ||
            madeByThisRun(found, dataflow, input.runStartedAtMs) ||
            handedOverByThisRun(found, input.runStartedAtMs))
            ? [found]
            : [];
        const outcomes: DeleteOutcome[] = [];
        if (input.removeSchema) {
          const found = await titled();
          outcomes.push(
            await deleteOwned({
              dataflow,
              found: thisRuns(found),
              recordedId: input.schemaId,
              read: readSchema,
              remove: (id) => api.deleteSchema(id),
              usedByOthers: (schema) => schemaUsedByOthers(sandbox, dataflow, schema.$id),
              handOver: (schema, to) => handOverSchema(api, schema.xdm, dataflow, to),
            }),
          );
        }
        if (input.removeFieldGroup) {
          const title = namesOf(dataflow).fieldGroupTitle;
          const readFieldGroup = async (id: string) => describedXdm(await api.getFieldGroup(id, 'xed'));
          const summary = await firstOf(api.listFieldGroups({ title }), (f) => f.title === title);
          const found = summary ? await readUnlessMissing(() => readFieldGroup(summary['meta:altId'])) : undefined;
          outcomes.push(
            await deleteOwned({
              dataflow,
              found: thisRuns(found),
              recordedId: input.fieldGroupId,
              read: readFieldGroup,
              remove: (id) => api.deleteFieldGroup(id),
              usedByOthers: (fieldGroup) => fieldGroupUsedByOthers(api, fieldGroup, schemaTitle),
              handOver: async (fieldGroup, to) => {
                await api.patchFieldGroup(fieldGroup.id, handOverPatch(fieldGroup.description, dataflow, to));
              },
            }),
          );
        }
        const keptForOthers = outcomes.flatMap((outcome) => outcome.keptForOthers ?? []);
        const keptFor = Object.assign({}, ...outcomes.map((outcome) => outcome.keptFor ?? {})) as Record<
          string,
          string
        >;
        return {
          deleted: outcomes.flatMap((outcome) => outcome.deleted),
          ...(keptForOthers.length > 0 ? { keptForOthers, keptFor } : {}),
        };
      });
    },
  };
}

/** Tries to create the target schema this many times when a concurrent provisioning takes its title first. */
const titleRacePasses = 3;

/** AEP's answer to a create whose title another schema or field group of the organisation already has. */
function isTitleTaken(error: unknown): boolean {
  return error instanceof AepError && error.code === 'XDM-1521-400';
}

interface DescribedXdm extends Described {
  $id: string;
  title: string;
  createdDate: number | undefined;
  /** As read (what it builds on tells a hand-over which field groups go with it). */
  xdm: XdmResource;
}

/** An XDM resource as a delete candidate: deleted by `meta:altId`, also known by `$id` (what the workflow records). */
function describedXdm(resource: XdmResource): DescribedXdm {
  return {
    id: resource['meta:altId'],
    aliases: [resource.$id],
    $id: resource.$id,
    title: resource.title,
    createdDate: createdDateOf(resource),
    description: resource.description,
    xdm: resource,
  };
}

function hasRootProperty(resolved: XdmResource, field: string): boolean {
  return typeof resolved.properties === 'object' && resolved.properties !== null && field in resolved.properties;
}

/** A reused schema's tenant field group, from `meta:extends` (tenant resources live under ns.adobe.com/<tenant>/mixins). */
function tenantFieldGroupOf(resolved: XdmResource): string | undefined {
  return resolved['meta:extends']?.find((id) => /\/mixins\//.test(id) && !id.startsWith('https://ns.adobe.com/xdm/'));
}

/** When AEP made an XDM resource (epoch ms), from its registry metadata. */
function createdDateOf(resource: XdmResource): number | undefined {
  return resource['meta:registryMetadata']?.['repo:createdDate'];
}

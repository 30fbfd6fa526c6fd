/**
 * Builds a fleet of OneTrust → Data Lake dataflows directly through the typed AEP client, for benchmarks: what
 * provisioning would build for each, minus the Temporal workflow around it. One field group, schema, dataset
 * and mapping set serve the whole fleet (created once, carrying no dataflow's ownership mark, so no teardown of one
 * dataflow deletes them); each dataflow gets its own base connection (with the OneTrust token), source connection,
 * target connection and flow, named as provisioning names them, the flow's description carrying the dataflow's
 * ownership mark. Start times are spread evenly over one schedule interval so the runs do not all fire at once.
 */
import type { AepClient, SandboxClient } from '../../src/aep';
import { defaultMapping } from '../../src/contracts/default-mapping';
import { ownershipMark } from '../../src/contracts/ownership-mark';
import {
  dataLakeConnectionSpec,
  oneTrustAuthSpecName,
  oneTrustConnectionSpec,
  oneTrustFlowSpec,
  xdmFullContentType,
} from '../../src/contracts/platform-ids';
import { dataflowResourceNames } from '../../src/contracts/resource-names';
import { fieldGroupBody, schemaBody, withTenant } from '../../src/contracts/target-schema';

export interface CreateFleetOptions {
  aep: AepClient;
  sandbox: string;
  count: number;
  /** Dataflows are named `<namePrefix>-00001`, …; the shared resources are named after the prefix. */
  namePrefix: string;
  /** Every dataflow runs every this many minutes (AEP's minimum is 15). */
  scheduleIntervalMinutes: number;
  /** Dataflows created at once. Default 16. */
  concurrency?: number;
  oneTrustToken: string;
  /** Called after each dataflow is complete, with how many are. */
  onProgress?(done: number): void;
}

export interface FleetDataflow {
  name: string;
  sandbox: string;
  flowId: string;
  baseConnectionId: string;
  sourceConnectionId: string;
  targetConnectionId: string;
  datasetId: string;
  schemaId: string;
  schemaAltId?: string;
  fieldGroupId?: string;
  mappingSetId: string;
  mappingVersion: number;
  /** Epoch seconds of the flow's first run. */
  startTime: number;
}

interface SharedResources {
  datasetId: string;
  schemaId: string;
  schemaAltId: string;
  fieldGroupId: string;
  mappingSetId: string;
  mappingVersion: number;
}

const defaultConcurrency = 16;
/** The first start time lies this far ahead, like provisioning's default start. */
const startLeadSeconds = 60;
/** AEP refuses a start time in the past; keep this margin for the create call itself. */
const startTimeSafetySeconds = 10;

export async function createFleet(options: CreateFleetOptions): Promise<FleetDataflow[]> {
  if (!Number.isInteger(options.count) || options.count < 0) throw new RangeError('count must be a whole number');
  if (!(options.scheduleIntervalMinutes >= 15)) throw new RangeError('scheduleIntervalMinutes must be at least 15');
  const sandbox = options.aep.forSandbox(options.sandbox);
  const schemaTitle = `${options.namePrefix} consent schema`;
  const shared = await createSharedResources(sandbox, options.namePrefix, schemaTitle);

  const periodSeconds = options.scheduleIntervalMinutes * 60;
  const anchorSeconds = nowInSeconds() + startLeadSeconds;
  const digits = String(Math.max(options.count, 1)).length;
  const fleet = new Array<FleetDataflow>(options.count);
  let done = 0;

  await forEachWithConcurrency(options.count, options.concurrency ?? defaultConcurrency, async (index) => {
    const name = `${options.namePrefix}-${String(index + 1).padStart(digits, '0')}`;
    // Evenly spread phases; a fleet that takes longer to build than the lead keeps each phase, a period later.
    let startTime = anchorSeconds + Math.floor((index * periodSeconds) / options.count);
    while (startTime < nowInSeconds() + startTimeSafetySeconds) startTime += periodSeconds;
    fleet[index] = await createDataflow(sandbox, shared, {
      name,
      schemaTitle,
      oneTrustToken: options.oneTrustToken,
      intervalMinutes: options.scheduleIntervalMinutes,
      startTime,
    });
    done += 1;
    options.onProgress?.(done);
  });
  return fleet;
}

async function createSharedResources(
  sandbox: SandboxClient,
  namePrefix: string,
  schemaTitle: string,
): Promise<SharedResources> {
  const description = `Shared by the benchmark fleet "${namePrefix}".`;
  const { tenantId } = await sandbox.schemaRegistry.getStats();
  const names = dataflowResourceNames({ sandbox: sandbox.sandboxName, name: namePrefix, schemaTitle });
  const fieldGroup = await sandbox.schemaRegistry.createFieldGroup(
    fieldGroupBody({ tenantId, title: names.fieldGroupTitle, description }),
  );
  const schema = await sandbox.schemaRegistry.createSchema(
    schemaBody({ title: schemaTitle, description, fieldGroupId: fieldGroup.$id }),
  );
  const schemaRef = { id: schema.$id, contentType: xdmFullContentType };
  const datasetId = await sandbox.catalog.createDataset({
    name: `${namePrefix} consent dataset`,
    description,
    schemaRef,
  });
  const mappingSet = await sandbox.dataPrep.createMappingSet({
    name: names.mappingSet,
    description,
    outputSchema: { schemaRef },
    mappings: defaultMapping.map((rule) => ({ ...rule, destination: withTenant(rule.destination, tenantId) })),
  });
  return {
    datasetId,
    schemaId: schema.$id,
    schemaAltId: schema['meta:altId'],
    fieldGroupId: fieldGroup.$id,
    mappingSetId: mappingSet.id,
    mappingVersion: mappingSet.version,
  };
}

async function createDataflow(
  sandbox: SandboxClient,
  shared: SharedResources,
  dataflow: { name: string; schemaTitle: string; oneTrustToken: string; intervalMinutes: number; startTime: number },
): Promise<FleetDataflow> {
  const { flowService } = sandbox;
  const names = dataflowResourceNames({
    sandbox: sandbox.sandboxName,
    name: dataflow.name,
    schemaTitle: dataflow.schemaTitle,
  });
  // The same description provisioning writes, so the run feed finds each flow's dataflow by its mark.
  const description = `OneTrust consent dataflow "${dataflow.name}" ${ownershipMark(sandbox.sandboxName, dataflow.name)}`;
  const base = await flowService.createConnection({
    name: names.baseConnection,
    description,
    connectionSpec: { ...oneTrustConnectionSpec },
    auth: { specName: oneTrustAuthSpecName, params: { accessToken: dataflow.oneTrustToken } },
  });
  const source = await flowService.createSourceConnection({
    name: names.sourceConnection,
    description,
    baseConnectionId: base.id,
    connectionSpec: { ...oneTrustConnectionSpec },
    data: { format: 'json' },
    params: {},
  });
  const target = await flowService.createTargetConnection({
    name: names.targetConnection,
    description,
    connectionSpec: { ...dataLakeConnectionSpec },
    data: { format: 'json' },
    params: { dataSetId: shared.datasetId },
  });
  const flow = await flowService.createFlow({
    name: names.flow,
    description,
    flowSpec: { ...oneTrustFlowSpec },
    sourceConnectionIds: [source.id],
    targetConnectionIds: [target.id],
    transformations: [
      { name: 'Mapping', params: { mappingId: shared.mappingSetId, mappingVersion: shared.mappingVersion } },
    ],
    scheduleParams: {
      startTime: String(dataflow.startTime),
      frequency: 'minute',
      interval: String(dataflow.intervalMinutes),
    },
  });
  return {
    name: dataflow.name,
    sandbox: sandbox.sandboxName,
    flowId: flow.id,
    baseConnectionId: base.id,
    sourceConnectionId: source.id,
    targetConnectionId: target.id,
    ...shared,
    startTime: dataflow.startTime,
  };
}

/** Runs `work(0 … count-1)` with at most `concurrency` at once; the first failure stops new work and is thrown. */
async function forEachWithConcurrency(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be at least 1');
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      const index = next;
      next += 1;
      try {
        await work(index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

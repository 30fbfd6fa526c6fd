/**
 * Provisioning a valid spec builds exactly one of each resource, linked the way the seed links them, with the
 * schedule asked for, starts the dataflow's monitor, and shows its progress the way the Web UI reads it.
 * Provisioning the same spec again creates nothing; if it must re-create something while the monitor runs, it
 * says that the monitor still watches the old ids.
 */
import assert from 'node:assert/strict';
import { getTemporal } from '../harness/temporal';
import { startTestWorker, type TestWorker } from '../harness/test-worker';
import { DataflowStage } from '../../src/contracts/search-attributes';
import { progressQuery } from '../../src/contracts/provisioning-messages';
import { statusQuery, updateDataflowUpdate } from '../../src/contracts/monitor-messages';
import { monitorWorkflowId } from '../../src/contracts/workflow-ids';
import { provisioningSteps } from '../../src/contracts/provisioning-steps';
import {
  exactlyOneOfEach,
  newScenario,
  platformCallCount,
  provision,
  resourceCounts,
  resourcesOf,
  simulatorAdmin,
  startProvisioning,
  type Scenario,
} from './provisioning-fixtures';

describe('provisioning a dataflow', function () {
  let scenario: Scenario;
  let worker: TestWorker;

  before(async function () {
    this.timeout(120_000);
    scenario = await newScenario({
      schedule: { frequency: 'hour', interval: 20, startTime: new Date(Date.now() + 3_600_000).toISOString() },
    });
    worker = await startTestWorker({ taskQueue: scenario.taskQueue });
  });

  after(async () => {
    await worker?.stop();
  });

  it('creates exactly one of each resource, linked as the seed links them, and starts the monitor', async () => {
    const handle = await startProvisioning(scenario);
    const result = await handle.result();

    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    assert.equal(result.alreadyExisted, false);
    assert.ok((await platformCallCount(scenario.sandbox)) > 10, 'the request log attributes calls to the sandbox');
    assert.deepEqual(
      result.created.sort(),
      provisioningSteps
        .map((s) => s.key)
        .filter((k) => k !== 'explore-preview')
        .sort(),
    );

    const resources = await resourcesOf(scenario.sandbox);
    const [base] = resources.connections!;
    const [source] = resources.sourceConnections!;
    const [fieldGroup] = resources.fieldGroups!;
    const [schema] = resources.schemas!;
    const [dataset] = resources.dataSets!;
    const [target] = resources.targetConnections!;
    const [mappingSet] = resources.mappingSets!;
    const [flow] = resources.flows!;

    assert.equal(base!.id, result.ids.baseConnectionId);
    assert.equal(source!.baseConnectionId, base!.id, 'source connection → base connection');
    assert.equal((schema!.$id as string) ?? schema!.id, result.ids.schemaId);
    assert.ok(JSON.stringify(schema!.allOf).includes(result.ids.fieldGroupId), 'schema → field group');
    assert.equal(fieldGroup!.$id ?? fieldGroup!.id, result.ids.fieldGroupId);
    assert.equal((dataset!.schemaRef as { id: string }).id, result.ids.schemaId, 'dataset → schema');
    assert.equal(
      (target!.params as { dataSetId: string }).dataSetId,
      result.ids.datasetId,
      'target connection → dataset',
    );
    assert.equal(mappingSet!.id, result.ids.mappingSetId);
    const mappingVersions = mappingSet!.versions as Array<{ version: number; xdmSchema: string }>;
    assert.equal(mappingVersions.at(-1)!.version, result.ids.mappingVersion);
    assert.equal(mappingVersions.at(-1)!.xdmSchema, result.ids.schemaId, 'mapping → schema');

    assert.deepEqual(flow!.sourceConnectionIds, [source!.id], 'flow → source connection');
    assert.deepEqual(flow!.targetConnectionIds, [target!.id], 'flow → target connection');
    const transformation = (flow!.transformations as Array<{ name: string; params: Record<string, unknown> }>)[0]!;
    assert.equal(transformation.params.mappingId, mappingSet!.id, 'flow → mapping set');
    assert.equal(Number(transformation.params.mappingVersion), result.ids.mappingVersion);

    const scheduleParams = flow!.scheduleParams as Record<string, unknown>;
    assert.equal(scheduleParams.frequency, 'hour');
    assert.equal(Number(scheduleParams.interval), 20);
    const askedStart = Math.floor(Date.parse((scenario.spec.schedule as { startTime: string }).startTime) / 1000);
    assert.equal(Number(scheduleParams.startTime), askedStart);
    assert.deepEqual(result.schedule, { frequency: 'hour', interval: 20, startTime: Number(scheduleParams.startTime) });

    const { client } = await getTemporal();
    assert.equal(result.monitorWorkflowId, `dataflow:${scenario.sandbox}:${scenario.name}`);
    const monitorHandle = client.workflow.getHandle(result.monitorWorkflowId ?? '');
    const monitor = await monitorHandle.describe();
    assert.equal(monitor.status.name, 'RUNNING', 'the monitor outlives provisioning');
    // Started beside the dataflow's create, before the flow existed: the create's activity told it the flow.
    const flowCreate = (await (await simulatorAdmin()).requests(scenario.sandbox)).find(
      (request) => request.method === 'POST' && request.path.endsWith('/flowservice/flows'),
    );
    assert.ok(flowCreate, "the dataflow's create reached AEP");
    assert.ok(
      monitor.startTime.getTime() < Date.parse(flowCreate.time),
      `the monitor started (${monitor.startTime.toISOString()}) before the create arrived (${flowCreate.time})`,
    );
    const watching = await monitorHandle.query(statusQuery);
    assert.deepEqual(watching.ids, result.ids, 'the monitor watches the flow provisioning made');
    assert.deepEqual(watching.schedule, result.schedule);
    // The monitor makes sure of its sandbox's run feed when it first starts.
    const feed = await waitForFeed(`runs:${scenario.sandbox}`);
    assert.equal(feed.status.name, 'RUNNING', "the monitor started the sandbox's run feed");
    assert.equal(feed.type, 'sandboxRunFeed');
  });

  it('shows its progress: checklist details, step summaries, search attributes and the progress query', async () => {
    const { client } = await getTemporal();
    const handle = client.workflow.getHandle(`provision:${scenario.sandbox}:${scenario.name}`);

    const progress = await handle.query(progressQuery);
    assert.equal(progress.phase, 'succeeded');
    assert.deepEqual(
      progress.steps.map((step) => step.state),
      provisioningSteps.map(() => 'done'),
    );
    assert.ok(progress.steps.find((s) => s.key === 'dataset')!.resources.datasetId);

    // What the Web UI's "Current details" panel shows comes from this built-in query.
    const metadata = await handle.query<{
      currentDetails?: string;
      definition?: { queryDefinitions?: Array<{ name: string }> };
    }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', /^1\. ☑ Base connection: created · baseConnectionId `[^`]+`$/m);
    assert.match(metadata.currentDetails ?? '', /^8\. ☑ Dataflow: created · flowId `[^`]+` · every 20 hour\(s\)/m);
    assert.ok(metadata.definition?.queryDefinitions?.some((query) => query.name === 'progress'));

    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(DataflowStage), 'done');

    const history = await handle.fetchHistory();
    const summaries = (history.events ?? [])
      .filter((event) => event.activityTaskScheduledEventAttributes)
      .map((event) => {
        const payload = event.userMetadata?.summary;
        return payload?.data ? (JSON.parse(Buffer.from(payload.data).toString('utf8')) as string) : '';
      });
    for (const step of provisioningSteps) {
      assert.ok(
        summaries.some((summary) => summary.includes(step.title)),
        `an activity summary names "${step.title}" (got ${summaries.join(' | ')})`,
      );
    }
  });

  it('schedules each step with the steps left to the dataflow as its priority, so a backlog serves later steps first', async () => {
    const { client } = await getTemporal();
    const history = await client.workflow.getHandle(`provision:${scenario.sandbox}:${scenario.name}`).fetchHistory();
    const priorityOf: Record<string, number> = {};
    for (const event of history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) priorityOf[scheduled.activityType?.name ?? ''] = scheduled.priority?.priorityKey ?? 0;
    }
    assert.deepEqual(priorityOf, {
      findExistingResources: 4,
      ensureTargetSchema: 4,
      ensureBaseConnection: 3,
      ensureDatasetAndTargetConnection: 3,
      checkExplorePreview: 2,
      ensureSourceConnection: 2,
      ensureMappingSet: 2,
      ensureDataflow: 1,
    });
  });

  it('starts each step in the reply to the workflow task that scheduled it, not through the queue (eagerly)', async () => {
    // An eager start is recorded by the same request as the step's scheduling (0.02–0.4 ms apart, measured on both
    // servers); a queued one waits for the queue's round trip (7–15 ms on the PostgreSQL-backed server with eager
    // starts turned off in its dynamic config). 3 ms leaves room for a busy machine.
    const { client } = await getTemporal();
    const history = await client.workflow.getHandle(`provision:${scenario.sandbox}:${scenario.name}`).fetchHistory();
    const scheduled = new Map<number, { step: string; atMs: number }>();
    const msToStart: Record<string, number> = {};
    for (const event of history.events ?? []) {
      const atMs = Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
      const attributes = event.activityTaskScheduledEventAttributes;
      if (attributes) scheduled.set(Number(event.eventId), { step: attributes.activityType?.name ?? '', atMs });
      const started = event.activityTaskStartedEventAttributes;
      const ofStep = started && scheduled.get(Number(started.scheduledEventId));
      if (ofStep) msToStart[ofStep.step] = atMs - ofStep.atMs;
    }
    assert.equal(
      Object.keys(msToStart).length,
      8,
      `every activity started once (${Object.keys(msToStart).join(', ')})`,
    );
    const queued = Object.entries(msToStart).filter(([, ms]) => ms >= 3);
    assert.deepEqual(queued, [], 'steps that waited 3 ms or more from scheduled to started');
  });

  it('provisioning the same spec again finds everything and creates nothing', async () => {
    const before = await resourcesOf(scenario.sandbox);
    const second = await provision(scenario);

    assert.equal(second.alreadyExisted, true);
    assert.deepEqual(second.created, []);
    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    const after = await resourcesOf(scenario.sandbox);
    for (const kind of Object.keys(exactlyOneOfEach)) {
      assert.deepEqual(
        after[kind]!.map((r) => r.id),
        before[kind]!.map((r) => r.id),
        `${kind} unchanged`,
      );
    }
  });

  it('finds its flow after someone renamed it, so provisioning again still builds no second flow', async () => {
    const { client } = await getTemporal();
    const monitor = client.workflow.getHandle(monitorWorkflowId(scenario.sandbox, scenario.name));
    const renamed = await monitor.executeUpdate(updateDataflowUpdate, { args: [{ name: 'Consent feed (renamed)' }] });
    assert.equal(renamed.ok, true, JSON.stringify(renamed));

    const again = await provision(scenario);

    assert.equal(again.alreadyExisted, true);
    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    const [flow] = (await resourcesOf(scenario.sandbox)).flows!;
    assert.equal(flow?.name, 'Consent feed (renamed)');
    assert.equal(again.ids.flowId, flow?.id);
  });

  it('warns when it re-creates a resource while the monitor, watching the old ids, keeps running', async () => {
    const [oldFlow] = (await resourcesOf(scenario.sandbox)).flows!;
    await worker.aep.forSandbox(scenario.sandbox).flowService.deleteFlow(oldFlow!.id);

    const again = await provision(scenario);

    assert.deepEqual(again.created, ['dataflow']);
    assert.notEqual(again.ids.flowId, oldFlow!.id);
    const monitorId = monitorWorkflowId(scenario.sandbox, scenario.name);
    assert.equal(again.warnings?.length, 1, JSON.stringify(again.warnings));
    assert.match(again.warnings[0]!, new RegExp(`^monitor ${monitorId} was already running and still watches`));
    assert.match(
      again.warnings[0]!,
      /\(dataflow\): terminate that monitor and provision again, or tear the dataflow down/,
    );
    const { client } = await getTemporal();
    const progress = await client.workflow.getHandle(again.workflowId).query(progressQuery);
    assert.deepEqual(progress.warnings, again.warnings);
  });
});

async function waitForFeed(workflowId: string) {
  const { client } = await getTemporal();
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await client.workflow.getHandle(workflowId).describe();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

import assert from 'node:assert/strict';
import { createFleet, type FleetDataflow } from '../../scripts/benchmark-fleet/create-fleet';
import type { AepClient } from '../../src/aep';
import { isManagedBy } from '../../src/contracts/ownership-mark';
import { SimulatorFixture } from '../aep/simulator-fixture';
import { eventually } from './test-platform';

interface RunSummaries {
  items: Array<{ flowId: string; status: string }>;
}

/** 15 simulated minutes per wall-clock second. */
const timeScale = 900;

describe('benchmark fleet: createFleet', () => {
  let fixture: SimulatorFixture;
  let aep: AepClient;
  before(async () => {
    fixture = await SimulatorFixture.start({ timeScale });
    aep = fixture.client();
  });
  after(async () => {
    await aep.close();
    await fixture.close();
  });

  it('creates dataflows that share one schema, dataset and mapping set, spread over the interval, and run', async () => {
    const sandbox = 'fleet';
    const oneTrustToken = (await fixture.mintOneTrustToken(3600)).access_token;
    const progress: number[] = [];
    const fleet: FleetDataflow[] = await createFleet({
      aep,
      sandbox,
      count: 20,
      namePrefix: 'bench',
      scheduleIntervalMinutes: 15,
      concurrency: 4,
      oneTrustToken,
      onProgress: (done) => progress.push(done),
    });

    assert.equal(fleet.length, 20);
    assert.deepEqual(
      progress,
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
    assert.equal(new Set(fleet.map((dataflow) => dataflow.flowId)).size, 20);
    assert.equal(new Set(fleet.map((dataflow) => dataflow.baseConnectionId)).size, 20);
    for (const shared of ['datasetId', 'schemaId', 'mappingSetId'] as const) {
      assert.equal(new Set(fleet.map((dataflow) => dataflow[shared])).size, 1, `one ${shared}`);
    }
    assert.equal(fleet[0]!.name, 'bench-01');
    const starts = fleet.map((dataflow) => dataflow.startTime);
    assert.ok(Math.max(...starts) - Math.min(...starts) >= 15 * 60 * 0.9, 'start times cover the interval');

    const flowService = aep.forSandbox(sandbox).flowService;
    const flow = await flowService.getFlow(fleet[7]!.flowId);
    assert.ok(isManagedBy(flow.description, sandbox, fleet[7]!.name));
    assert.equal(Number(flow.scheduleParams?.interval), 15);

    const flowIds = new Set(fleet.map((dataflow) => dataflow.flowId));
    await eventually(
      async () => {
        const runs = (await adminRuns(fixture.url, sandbox)).items;
        const succeeded = new Set(runs.filter((run) => run.status === 'success').map((run) => run.flowId));
        return [...flowIds].every((id) => succeeded.has(id)) ? true : undefined;
      },
      20_000,
      'a successful run of every flow of the fleet',
    );
  });
});

async function adminRuns(url: string, sandbox: string): Promise<RunSummaries> {
  const response = await fetch(`${url}/__sim/runs?sandbox=${sandbox}`);
  return (await response.json()) as RunSummaries;
}

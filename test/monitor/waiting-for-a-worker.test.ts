/**
 * A monitor verb sent while no worker runs does not wait in silence: an update says after a short while which task
 * queue needs a worker, keeps waiting, and completes once one is started; status, a query, says at once.
 */
import assert from 'node:assert/strict';
import { runPause } from '../../src/cli/pause-resume-commands';
import { runStatus } from '../../src/cli/status-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { dataflowMonitor } from '../../src/workflows/dataflow-monitor';
import { monitorWorkflowId } from '../../src/contracts/workflow-ids';
import { getTemporal } from '../harness/temporal';
import type { MonitorStatus } from '../../src/contracts/monitor-status';
import { startTestWorker, type TestWorker } from '../harness/test-worker';
import { capturedIo, monitoredDataflow, sleep, waitFor, type MonitoredDataflow } from './monitor-fixtures';

const hintPattern = /\(no answer yet: is a worker polling task queue "([^"]+)"\? start one with npm run worker\)/g;

describe('monitor verbs with no worker running', function () {
  let dataflow: MonitoredDataflow | undefined;
  let replacement: TestWorker | undefined;

  afterEach(async function () {
    await replacement?.stop();
    replacement = undefined;
    await dataflow?.dispose();
    dataflow = undefined;
  });

  it('hint once that a worker is needed, keep waiting, and finish when one starts', async function () {
    dataflow = await monitoredDataflow();
    await dataflow.waitForStatus('runs handed over by the feed', (status) => status.lastFeedMessageAt !== undefined);
    await dataflow.worker.stop();
    const taskQueue = dataflow.scenario.taskQueue;

    const pauseIo = await capturedIo(taskQueue);
    const refreshIo = await capturedIo(taskQueue);
    const deps = { connect: connectTemporal, noWorkerHintAfterMs: 300 };
    let pauseCode: number | undefined;
    const pausing = runPause(dataflow.target, { json: false }, { ...deps, io: pauseIo }).then(
      (code) => (pauseCode = code),
    );
    const refreshing = runStatus(dataflow.target, { json: true, refresh: true }, { ...deps, io: refreshIo });

    await waitFor('the hint from both verbs', () =>
      pauseIo.stderr().includes('no answer yet') && refreshIo.stderr().includes('no answer yet') ? true : undefined,
    );
    await sleep(1000);
    assert.equal(pauseCode, undefined, 'pause is still waiting');
    const hints = [...pauseIo.stderr().matchAll(hintPattern)];
    assert.equal(hints.length, 1, `the hint is printed once: ${pauseIo.stderr()}`);
    assert.equal(hints[0]![1], taskQueue, 'naming the task queue of the monitor');

    replacement = await startTestWorker({ taskQueue });
    assert.equal(await pausing, 0, pauseIo.stderr());
    assert.match(pauseIo.stdout(), /flow paused \(AEP state: disabled\)/);
    assert.equal(await refreshing, 0, refreshIo.stderr());
    const { status } = JSON.parse(refreshIo.stdout()) as { status: MonitorStatus };
    assert.equal(status.workflowId, dataflow.handle.workflowId);
    assert.equal([...refreshIo.stderr().matchAll(hintPattern)].length, 1);
  });

  it('status says within seconds that no worker polls the monitor’s task queue, and how to start one', async function () {
    dataflow = await monitoredDataflow();
    // The same monitor input, on a task queue no worker has ever polled.
    const { client } = await getTemporal();
    const orphanQueue = `${dataflow.scenario.taskQueue}-nobody`;
    const orphan = await client.workflow.start(dataflowMonitor, {
      workflowId: monitorWorkflowId(dataflow.sandbox, 'orphan'),
      taskQueue: orphanQueue,
      args: [{ dataflow: { ...dataflow.descriptor, name: 'orphan' } }],
    });
    try {
      const io = await capturedIo(dataflow.scenario.taskQueue);
      const startedAt = Date.now();
      const code = await runStatus(
        `${dataflow.sandbox}/orphan`,
        { json: false, refresh: false },
        { connect: connectTemporal, io },
      );
      assert.equal(code, 3);
      assert.ok(Date.now() - startedAt < 10_000, 'within seconds');
      assert.match(
        io.stderr(),
        new RegExp(`no worker is polling task queue "${orphanQueue}".*start one with npm run worker`),
      );
    } finally {
      await orphan.terminate('test over');
    }
  });
});

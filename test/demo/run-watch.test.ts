/**
 * The demo's run list (scripts/demo/run-watch.ts) against the simulator's real runs: a second `npm run demo` counts
 * the runs of earlier demos and numbers its own on from them, as the dataflow's runs are one sequence.
 */
import assert from 'node:assert/strict';
import { getSimulator } from '../harness/simulator';
import { watchRuns } from '../../scripts/demo/run-watch';
import { monitoredDataflow, waitFor, type MonitoredDataflow } from '../monitor/monitor-fixtures';

describe('demo: the run list', function () {
  let dataflow: MonitoredDataflow | undefined;

  afterEach(async function () {
    await dataflow?.dispose();
    dataflow = undefined;
  });

  it('numbers a restarted demo’s runs on from the earlier runs it counts', async function () {
    dataflow = await monitoredDataflow();
    await dataflow.waitForStatus('two runs', (status) => status.lastRuns.length >= 2);
    const simulator = await getSimulator();

    const lines: string[] = [];
    let stop!: () => void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    const watching = watchRuns(
      { baseUrl: simulator.url },
      { sandbox: dataflow.sandbox, since: Date.now(), interrupted, print: (line) => lines.push(line) },
    );
    try {
      const firstNew = await waitFor('a run of this demo', () => lines.find((line) => /^ {2}run \d+ /.test(line)));
      const earlier = Number(/^ {2}(\d+) earlier runs /.exec(lines[0] ?? '')?.[1]);
      assert.ok(earlier >= 2, lines.join('\n'));
      assert.match(firstNew, new RegExp(`^ {2}run ${earlier + 1} `), lines.join('\n'));
    } finally {
      stop();
      await watching;
    }
  });
});

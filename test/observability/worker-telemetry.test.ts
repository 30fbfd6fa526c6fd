import assert from 'node:assert/strict';
import { request } from 'undici';
import { provisionWorkflowId } from '../../src/contracts/workflow-ids';
import { findFreePort } from '../harness/free-port';
import { childProcessEnv } from '../harness/test-worker';
import { newScenario, provision, workflowInput } from '../provisioning/provisioning-fixtures';
import { spawnTsx, workflowBundleFile } from '../provisioning/spawned-process';

describe('the worker process: Prometheus metrics and structured logs', function () {
  this.timeout(120_000);

  it('serves Temporal metrics on METRICS_PORT and logs JSON lines with workflow and activity context, no secrets', async () => {
    const scenario = await newScenario();
    const metricsPort = await findFreePort();
    const env: NodeJS.ProcessEnv = {
      ...(await childProcessEnv(scenario.taskQueue)),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'DEBUG',
      WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
    };
    const worker = spawnTsx('src/worker.ts', [], env);
    try {
      await worker.waitForOutput(/"message":"worker started"/, 60_000);

      await provision(scenario, workflowInput(scenario, { startMonitor: false }));

      const metrics = await scrapeUntil(`http://127.0.0.1:${metricsPort}/metrics`, /^temporal_workflow_completed\b/m);
      assert.match(
        metrics,
        /^temporal_activity_execution_latency\w*\{.*task_queue="[^"]+"/m,
        'activity latency per task queue',
      );
      assert.match(metrics, new RegExp(`^temporal_workflow_completed\\{.*task_queue="${scenario.taskQueue}"`, 'm'));

      // The worker's log lines reach this process through a pipe, after the workflow's result may have.
      await worker.waitForOutput(/"message":"Activity completed".*"workflowId":"provision:/, 30_000);
      const lines = worker
        .output()
        .split('\n')
        .filter((line) => line.trim() !== '');
      const entries = lines.map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          assert.fail(`a log line is not JSON: ${line}`);
        }
      });
      for (const entry of entries) {
        assert.equal(typeof entry.time, 'string');
        assert.ok(['trace', 'debug', 'info', 'warn', 'error'].includes(String(entry.level)), JSON.stringify(entry));
        assert.equal(typeof entry.message, 'string');
      }
      const activityLine = entries.find(
        (entry) =>
          entry.message === 'Activity completed' &&
          entry.workflowId === provisionWorkflowId(scenario.sandbox, scenario.name) &&
          typeof entry.activityType === 'string' &&
          entry.taskQueue === scenario.taskQueue,
      );
      assert.ok(activityLine, 'an activity log line carries workflowId, activityType and taskQueue');

      const everything = worker.output();
      assert.ok(!everything.includes(scenario.token), 'the OneTrust token never appears in the worker output');
      assert.ok(!everything.includes(String(env.AEP_CLIENT_SECRET)), 'the AEP client secret never appears either');
    } finally {
      await worker.stop();
    }
  });
});

async function scrapeUntil(url: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let body = '';
  while (Date.now() < deadline) {
    try {
      const response = await request(url);
      body = await response.body.text();
      if (response.statusCode === 200 && pattern.test(body)) return body;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} never showed ${pattern}; last body:\n${body.slice(0, 2000)}`);
}

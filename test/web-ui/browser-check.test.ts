/**
 * What a user sees: the Temporal Web UI page of a provisioning workflow, opened in a real headless browser
 * (Debian's Chromium, driven by playwright-core), shows the step checklist with its resource ids, and the
 * sandbox's run feed shows what it has listed and handed on; a drifted monitor says what differs. Screenshots
 * are kept in test-output/web-ui/ as artifacts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { progressQuery, type ProvisioningProgress } from '../../src/contracts/provisioning-messages';
import type { ProvisioningStepKey } from '../../src/contracts/provisioning-steps';
import { runFeedStatusQuery } from '../../src/contracts/run-feed-messages';
import { provisionWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { createAepClient } from '../../src/aep';
import { refreshUpdate } from '../../src/contracts/monitor-messages';
import { monitorUiLink } from '../../src/temporal/temporal-client';
import { getTemporal } from '../harness/temporal';
import { monitoredDataflow } from '../monitor/monitor-fixtures';
import { childProcessEnv, simulatorAepSettings, startTestWorker, type TestWorker } from '../harness/test-worker';
import { newScenario, simulatorAdmin } from '../provisioning/provisioning-fixtures';
import { spawnTsx } from '../provisioning/spawned-process';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshotDirectory = resolve(__dirname, '../../test-output/web-ui');
/** Step 5 (the dataset) is held until the page has been read, then released by clearing the fault rules. */
const datasetCreateDelayMs = 110_000;

describe('the Temporal Web UI, in a browser', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let worker: TestWorker | undefined;

  before(function () {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `The browser check needs Chromium at ${chromiumPath}: run "bash scripts/install-debian-tools.sh" ` +
          '(or set CHROMIUM_PATH).',
      );
    }
    mkdirSync(screenshotDirectory, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await worker?.stop();
  });

  it('shows a provisioning workflow’s step checklist with resource ids while it runs, then when it is done', async () => {
    const temporal = await getTemporal();
    const scenario = await newScenario();
    const workflowId = provisionWorkflowId(scenario.sandbox, scenario.name);
    worker = await startTestWorker({ taskQueue: scenario.taskQueue });

    // Hold provisioning at step 5 (dataset) so the page is read mid-flight, however long reading it takes.
    await (
      await simulatorAdmin()
    ).addFault({
      method: 'POST',
      path: '^/data/foundation/catalog/dataSets',
      delayMs: datasetCreateDelayMs,
      times: 1,
    });
    // Started the way a user starts it: the CLI, with its summary, details and search attributes.
    const specDirectory = mkdtempSync(join(tmpdir(), 'browser-check-'));
    const specFile = join(specDirectory, 'dataflow.json');
    writeFileSync(specFile, JSON.stringify(scenario.spec));
    const cli = spawnTsx('src/client.ts', ['provision', specFile, '--no-wait'], {
      ...(await childProcessEnv(scenario.taskQueue)),
      ...scenario.env,
    });
    assert.equal(await cli.exited, 0, cli.output());
    const handle = temporal.client.workflow.getHandle(workflowId);
    await waitForRunningStep(() => handle.query<ProvisioningProgress>(progressQuery), 'dataset');

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });

    const workflowPage = `${temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
    const midFlight = await openCurrentDetails(page, workflowPage);
    const runningScreenshot = join(screenshotDirectory, 'provisioning.png');
    await page.screenshot({ path: runningScreenshot, fullPage: true });

    assert.match(midFlight, /Base connection/);
    assert.match(midFlight, /baseConnectionId/, 'finished steps show their resource ids');
    assert.match(midFlight, /Dataset[^\n]*running/i, 'the step in progress is marked as running');
    assert.match(midFlight, /Dataflow[^\n]*pending/i, 'steps not reached yet are marked pending');
    assert.match(
      midFlight,
      /Target connection: pending · next, in the dataset[’']s activity/,
      'the step made by the dataset’s activity says why it is pending',
    );
    assert.ok(!midFlight.includes(scenario.token), 'the OneTrust token is not on the page');
    assert.ok(statSync(runningScreenshot).size > 10_000, 'the screenshot was written');

    await (await simulatorAdmin()).clearFaults(); // releases the held dataset create
    await handle.result();
    const finished = await openCurrentDetails(page, workflowPage);
    await page.screenshot({ path: join(screenshotDirectory, 'provisioned.png'), fullPage: true });
    assert.match(finished, /flowId/, 'the finished checklist names the dataflow id');
    assert.doesNotMatch(finished, /\bpending\b/i, 'no step is left pending');
    assert.doesNotMatch(finished, /next, in the/, 'the note goes once the target connection is made');

    // Provisioning started the sandbox's run feed: its page says what it has listed and handed on.
    const feedPage = `${temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(runFeedWorkflowId(scenario.sandbox))}`;
    await waitForFeedLook(scenario.sandbox);
    const feed = await openCurrentDetails(page, feedPage, 'Runs of sandbox');
    await page.screenshot({ path: join(screenshotDirectory, 'run-feed.png'), fullPage: true });
    assert.match(feed, new RegExp(`Runs of sandbox ${scenario.sandbox}: listing`));
    assert.match(feed, /Cursor: runs started after \d{4}-\d\d-\d\dT/, 'the cursor is shown');
    assert.match(feed, /Monitors signalled \d+/);
    assert.match(feed, /Listing errors 0/);
  });

  it('shows a drifted monitor: what differs in AEP and how to put it back', async () => {
    const temporal = await getTemporal();
    const dataflow = await monitoredDataflow();
    try {
      // Someone disables the flow in the AEP UI; `status --refresh` makes the monitor look.
      const aep = createAepClient(await simulatorAepSettings());
      await aep.forSandbox(dataflow.sandbox).flowService.flowAction(dataflow.provisioned.ids.flowId, 'disable');
      await aep.close();
      await dataflow.handle.executeUpdate(refreshUpdate);

      browser ??= await chromium.launch({
        executablePath: chromiumPath,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
      });
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const monitorPage = `${temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(dataflow.handle.workflowId)}`;
      const details = await openCurrentDetails(page, monitorPage, 'Drifted');
      await page.screenshot({ path: join(screenshotDirectory, 'monitor-drifted.png'), fullPage: true });
      assert.match(details, new RegExp(`${dataflow.sandbox}/consent: drifted`));
      assert.match(details, /flow state disabled \(expected enabled\)/);
      assert.match(details, /provision the spec again to put it back \(npm run client -- provision <spec\.json>\)/);
    } finally {
      await dataflow.dispose();
    }
  });

  it('shows a monitor’s state on its User Metadata tab right after it continued as new', async () => {
    const temporal = await getTemporal();
    const dataflow = await monitoredDataflow({ monitorInput: { continueAsNewAfterEvents: 60 } });
    try {
      await dataflow.waitForStatus('a continue-as-new', (status) => status.continuedAsNew >= 1, 40_000);
      browser ??= await chromium.launch({
        executablePath: chromiumPath,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
      });
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const { runId } = await dataflow.handle.describe();
      const link = monitorUiLink(temporal.uiUrl, 'default', dataflow.handle.workflowId, runId);
      const details = await openCurrentDetails(page, link, `${dataflow.sandbox}/consent`, { onTab: true });
      await page.screenshot({ path: join(screenshotDirectory, 'monitor-continued-as-new.png'), fullPage: true });
      assert.match(page.url(), /\/user-metadata$/, 'the link opens the tab that shows the state');
      assert.match(details, new RegExp(`${dataflow.sandbox}/consent: \\w`));
      assert.match(details, /continued as new \d+×/);
    } finally {
      await dataflow.dispose();
    }
  });
});

/** Waits until the sandbox's feed has looked at least once and seen a run (so its cursor is set). */
async function waitForFeedLook(sandbox: string): Promise<void> {
  const { client } = await getTemporal();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await client.workflow
      .getHandle(runFeedWorkflowId(sandbox))
      .query(runFeedStatusQuery)
      .catch(() => undefined);
    if (status?.cursor !== undefined) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  throw new Error(`the run feed of ${sandbox} never saw a run`);
}

/**
 * Opens the workflow page and its "User Metadata" tab, where Web UI 2.x shows the workflow's current details,
 * and returns the text of that panel's rendered markdown (the UI renders it in an iframe) once it holds the
 * checklist.
 */
async function openCurrentDetails(
  page: Page,
  url: string,
  expected = 'Base connection',
  { onTab = false } = {},
): Promise<string> {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  if (!onTab) await page.getByText('User Metadata', { exact: true }).first().click({ timeout: 45_000 });
  // The innermost block holding both the "Current Details" heading and a rendered-markdown frame.
  const panel = page
    .locator('div')
    .filter({ has: page.locator('h3', { hasText: 'Current Details' }) })
    .filter({ has: page.locator('iframe') })
    .last();
  const frame = panel.locator('iframe').first();
  const rendered = panel.frameLocator('iframe').first().locator('body');
  await rendered.getByText(expected).first().waitFor({ timeout: 30_000 });
  await waitForStableHeight(frame);
  return rendered.innerText();
}

async function waitForRunningStep(
  readProgress: () => Promise<ProvisioningProgress>,
  runningStep: ProvisioningStepKey,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const progress = await readProgress().catch(() => undefined);
    if (progress?.steps.some((step) => step.key === runningStep && step.state === 'running')) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  throw new Error(`provisioning never reached the ${runningStep} step`);
}

/** The UI sizes the markdown frame to its content after it loads; a screenshot taken before that is clipped. */
async function waitForStableHeight(frame: Locator): Promise<void> {
  let previous = -1;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const height = (await frame.boundingBox())?.height ?? 0;
    if (height > 0 && height === previous) return;
    previous = height;
    await new Promise((resolveWait) => setTimeout(resolveWait, 300));
  }
}

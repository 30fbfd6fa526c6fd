/**
 * dataflowMonitor: one long-lived workflow per dataflow (id `dataflow:<sandbox>:<name>`). It sleeps until
 * something happens to its dataflow: the sandbox's run feed hands it runs that finished, its token calendar
 * comes due (warnings, expiry, automatic rotation), someone asks for something (rotate the token, change the
 * flow, pause, resume, tear down, look now), or its slow reconcile catches what the feed could have missed.
 * Requests are done strictly one at a time; each is both a signal (fire and forget) and an update (wait for the
 * outcome). History stays small and cheap to replay: it continues as new on a budget of a few hundred events.
 *
 * This file only wires the messages (monitor/messages.ts) to the DataflowMonitor (monitor/dataflow-monitor.ts).
 */
import { setHandler, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { DataflowMonitor } from './monitor/dataflow-monitor';
import * as message from '../contracts/monitor-messages';
import type { DataflowMonitorInput, DataflowMonitorResult } from '../contracts/monitor-messages';

export type { DataflowMonitorInput, DataflowMonitorResult } from '../contracts/monitor-messages';

export function dataflowMonitor(input: DataflowMonitorInput): Promise<DataflowMonitorResult> {
  const monitor = new DataflowMonitor(input);
  // Handlers first, so nothing sent before the first await is missed.
  setHandler(message.statusQuery, () => monitor.status());
  setHandler(message.oneTrustEndpointQuery, () => monitor.oneTrustEndpoint());
  setHandler(message.runUpdatesSignal, (update) => monitor.receiveRuns(update));
  setHandler(message.dataflowMadeSignal, (made) => monitor.receiveDataflowMade(made));
  setHandler(message.provisioningRolledBackSignal, (word) => monitor.receiveProvisioningRolledBack(word));

  setHandler(message.rotateTokenSignal, (request) => monitor.rotateTokenSignal(request));
  setHandler(message.updateDataflowSignal, (request) => monitor.updateDataflowSignal(request));
  setHandler(message.pauseSignal, () => monitor.pauseSignal());
  setHandler(message.resumeSignal, () => monitor.resumeSignal());
  setHandler(message.teardownSignal, (request) => monitor.teardownSignal(request));

  setHandler(message.rotateTokenUpdate, (request) => monitor.rotateToken(request), {
    validator: (request) => monitor.validateRotateToken(request),
  });
  setHandler(message.updateDataflowUpdate, (request) => monitor.updateDataflow(request), {
    validator: (request) => monitor.validateUpdateDataflow(request),
  });
  setHandler(message.pauseUpdate, () => monitor.pause(), { validator: () => monitor.validateAnyWork() });
  setHandler(message.resumeUpdate, () => monitor.resume(), { validator: () => monitor.validateAnyWork() });
  setHandler(message.teardownUpdate, (request) => monitor.teardown(request), {
    validator: (request) => monitor.validateTeardown(request),
  });
  setHandler(message.applySpecUpdate, (request) => monitor.applySpec(request), {
    validator: (request) => monitor.validateApplySpec(request),
  });
  setHandler(message.refreshUpdate, () => monitor.refresh(), { validator: () => monitor.validateAnyWork() });

  return monitor.run();
}

// Worker versioning (README "Upgrading a running fleet"): each run is PINNED to the build that started it and
// continue-as-new moves the next run to the deployment's current build, which the monitor's loop does at its next
// wake once a new build is current. Chosen over AUTO_UPGRADE: a change that fails to replay cannot stall the
// whole fleet at once, and a rollback never replays the new build's history on old code; the only contract
// between builds is DataflowMonitorInput. Only a versioned worker may name a behavior (the server refuses one
// from an unversioned worker: the dev server, the demo, the tests), hence the getter.
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  dataflowMonitor,
);

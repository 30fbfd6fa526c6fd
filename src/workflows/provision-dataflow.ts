/**
 * provisionDataflow: builds one OneTrust → AEP dataflow as a saga over the dependency graph of its steps
 * (provisioning/provisioning-graph.ts). A survey first looks for everything the dataflow would have; then every step
 * starts as soon as what it needs exists, so the two branches (connections; schema, dataset, mapping) run side by
 * side. Each step is one idempotent activity. A step's compensation is registered before it runs; on a failure that
 * retries cannot fix, the other branch is cancelled, its in-flight create is waited for, and the compensations run
 * newest first, shielded from cancellation and retried patiently; the workflow fails naming the step. A cancel does
 * the same and ends the workflow as cancelled. The dataflow's monitor starts as an abandoned child once the survey
 * has ended (provisioning/monitor-start.ts), is told every id by the dataflow step's activity, and is stood down if
 * the build is rolled back.
 */
import * as wf from '@temporalio/workflow';
import type { DataflowRef, ExistingResources } from '../contracts/provisioning-activities';
import type { DataflowIds } from '../contracts/dataflow-types';
import { dataflowMadeSignal, provisioningRolledBackSignal } from '../contracts/monitor-messages';
import { provisioningSteps, stepNumber, stepTitle, type ProvisioningStepKey } from '../contracts/provisioning-steps';
import { DataflowName, DataflowSandbox, DataflowStage } from '../contracts/search-attributes';
import { resourceDescription } from '../contracts/ownership-mark';
import { monitorWorkflowId } from '../contracts/workflow-ids';
import { defaultStepRetryTimeout, provisioningActivities } from './provisioning/activity-options';
import {
  describeAepFailure,
  failureDetails,
  formatDuration,
  messageOf,
  surveyFailure,
  usedUpRetryWindow,
} from './provisioning/failure-causes';
import {
  progressQuery,
  provisioningFailed,
  type ProvisionDataflowInput,
  type ProvisionDataflowResult,
  type ProvisioningFailure,
  type ProvisioningProgress,
  type StepProgress,
  type StepState,
} from '../contracts/provisioning-messages';
import { renderDetails } from '../contracts/progress-details';
import {
  provisioningGraph,
  stepPriorityKey,
  surveyPriorityKey,
  type ProvisioningStep,
  type StepContext,
} from './provisioning/provisioning-graph';
import { provisionInSeedOrder } from './provisioning/provision-in-seed-order';
import { idsSoFar, monitorDescriptor, startMonitor, type MonitorStart } from './provisioning/monitor-start';

/** Provisionings that started on a release before the graph keep replaying the sequential code they ran. */
export const dependencyGraphPatch = 'provisioning-as-dependency-graph';
/** The schema branch beside the survey, the source connection beside the preview (provisioning-graph.ts). */
export const shorterCriticalPathPatch = 'schema-beside-survey-source-beside-preview';
/**
 * The target schema's activity scheduled before the survey's (the worker starts eager activities in that order), and
 * the dataset and its target connection made by one activity (provisioning-graph.ts).
 */
export const datasetWithTargetConnectionPatch = 'schema-first-dataset-with-target-connection';
/**
 * The monitor started before its flow exists, waiting to be told it by the dataflow's create (monitor-start.ts):
 * once the survey ends, since `monitorAfterSurveyPatch`; beside the create itself in provisionings started before.
 */
export const monitorBesideDataflowPatch = 'monitor-beside-the-dataflow-create';
export const monitorAfterSurveyPatch = 'monitor-started-when-the-survey-ends';

export async function provisionDataflow(input: ProvisionDataflowInput): Promise<ProvisionDataflowResult> {
  if (!wf.patched(dependencyGraphPatch)) return provisionInSeedOrder(input);
  const shorterCriticalPath = wf.patched(shorterCriticalPathPatch);
  const datasetWithTargetConnection = shorterCriticalPath && wf.patched(datasetWithTargetConnectionPatch);
  // Came with the same release.
  const schemaFirst = datasetWithTargetConnection;

  const workflowId = wf.workflowInfo().workflowId;
  const startsMonitor = input.startMonitor ?? true;
  const dataflow: DataflowRef = {
    sandbox: input.sandbox,
    name: input.name,
    schemaTitle: input.target.schemaTitle,
    datasetName: input.target.datasetName,
  };
  const description = resourceDescription(input.sandbox, input.name, input.description);

  const progress: ProvisioningProgress = {
    workflowId,
    sandbox: input.sandbox,
    name: input.name,
    phase: 'looking-for-existing',
    steps: provisioningSteps.map((step) => ({ key: step.key, title: step.title, state: 'pending', resources: {} })),
    transitions: [],
    ids: {},
  };
  wf.setHandler(progressQuery, () => progress);
  const stepOf = (key: ProvisioningStepKey): StepProgress => progress.steps.find((step) => step.key === key)!;
  const publish = () => wf.setCurrentDetails(renderDetails(progress));
  const moveStep = (step: StepProgress, state: StepState) => {
    step.state = state;
    progress.transitions.push({
      key: step.key,
      state,
      resources: { ...step.resources },
      ...(step.note ? { note: step.note } : {}),
    });
  };
  const setStage = (stage: string) => wf.upsertSearchAttributes([{ key: DataflowStage, value: stage }]);

  if (shorterCriticalPath) {
    // One upsert while building (each costs a round of server work on the critical path): the checklist, not the
    // stage, says which steps run. The CLI starts the workflow with the sandbox and name already set.
    const given = wf.workflowInfo().typedSearchAttributes;
    wf.upsertSearchAttributes([
      ...(given.get(DataflowSandbox) === input.sandbox ? [] : [{ key: DataflowSandbox, value: input.sandbox }]),
      ...(given.get(DataflowName) === input.name ? [] : [{ key: DataflowName, value: input.name }]),
      { key: DataflowStage, value: 'provisioning' },
    ]);
  } else {
    wf.upsertSearchAttributes([
      { key: DataflowSandbox, value: input.sandbox },
      { key: DataflowName, value: input.name },
      { key: DataflowStage, value: 'looking-for-existing' },
    ]);
  }
  publish();

  const activities = provisioningActivities(input.activityTiming);
  // Before the shorter critical path, the survey ran before the build and its failure ended the workflow at once.
  const existing: ExistingResources = shorterCriticalPath ? {} : await survey();

  const context: StepContext = {
    shorterCriticalPath,
    datasetWithTargetConnection,
    runStartedAtMs: wf.workflowInfo().runStartTime.getTime(),
    input,
    dataflow,
    description,
    existing,
    ids: progress.ids,
    built: { tenantId: '', schedule: input.schedule },
    activities,
  };
  const created: ProvisioningStepKey[] = [];
  const reused: ProvisioningStepKey[] = [];
  /** Steps with something to undo, newest first: each is added as it starts (it may create and then fail). */
  const compensations: ProvisioningStep[] = [];
  const running = new Set<ProvisioningStepKey>();
  let firstFailure: { key: ProvisioningStepKey; error: unknown } | undefined;
  /** The survey's failure, on the shorter critical path (where the schema branch may have built already). */
  let failedSurvey: ProvisioningFailure | undefined;
  /** The monitor's start before its flow exists (monitor-start.ts), once asked for. */
  let monitorStarting: Promise<MonitorStart> | undefined;

  // A cancel of the workflow names the steps that were running when it came (they may finish before it lands).
  const workflowScope = wf.CancellationScope.current();
  let runningWhenCancelled: ProvisioningStepKey[] = [];
  workflowScope.cancelRequested.catch(() => {
    runningWhenCancelled = inSeedOrder(running);
  });

  // The steps run in a scope of their own: a failure in one branch cancels the other.
  const buildScope = new wf.CancellationScope();
  const finished = new Map<ProvisioningStepKey, Promise<void>>();
  await buildScope.run(async () => {
    // A step that needs nothing, not even the survey (the target schema), is scheduled first: it starts first.
    const startsAtOnce = (step: ProvisioningStep) => step.startsBeforeSurvey === true && step.needs.length === 0;
    if (schemaFirst) for (const step of provisioningGraph.filter(startsAtOnce)) finished.set(step.key, runStep(step));
    const surveyed = shorterCriticalPath ? surveyBesideTheBuild() : Promise.resolve();
    for (const step of provisioningGraph) {
      if (finished.has(step.key)) continue;
      // A step made by an earlier step's activity finishes with it.
      const madeWith = datasetWithTargetConnection ? step.madeWith : undefined;
      finished.set(step.key, madeWith ? finished.get(madeWith)! : startWhenReady(step, surveyed));
    }
    await Promise.allSettled([surveyed, ...finished.values()]);
  });

  const cancelled = workflowScope.consideredCancelled;
  if (failedSurvey && !firstFailure && !cancelled) {
    // What the schema branch made meanwhile is undone; the failure is the survey's, as before any step.
    await compensate(failedSurvey, false);
    throw provisioningFailed(failedSurvey);
  }
  if (firstFailure || cancelled) {
    const failure = await rollBack(firstFailure, cancelled);
    await standDownMonitor(failure.message);
    // A cancelled provisioning ends as cancelled (after its rollback), not as failed.
    if (cancelled) await workflowScope.cancelRequested;
    const cause = firstFailure?.error;
    throw provisioningFailed(failure, cause);
  }

  const completeIds = progress.ids as DataflowIds;
  let monitorId: string | undefined;
  let monitorStartedNow = false;
  const warnings: string[] = [];
  if (startsMonitor) {
    if (!monitorStarting) {
      progress.phase = 'starting-monitor';
      publish();
    }
    // Everything is built: a cancel now must not leave the dataflow running unwatched.
    const monitor = await wf.CancellationScope.nonCancellable(async () => {
      if (!monitorStarting) return startMonitor(input, monitorDescriptor(input, completeIds, context.built.schedule));
      const started = await monitorStarting;
      // The dataflow step's activity tells the monitor every id; when it could not, the monitor hears them from here.
      if (!started.alreadyRunning && context.built.monitorTold !== true) {
        await wf.getExternalWorkflowHandle(started.workflowId).signal(dataflowMadeSignal, {
          provisioningWorkflowId: workflowId,
          flowId: completeIds.flowId,
          ids: completeIds,
          schedule: context.built.schedule,
        });
      }
      return started;
    });
    monitorId = monitor.workflowId;
    monitorStartedNow = !monitor.alreadyRunning;
    progress.monitorWorkflowId = monitorId;
    // A monitor cannot be told new ids, and workflow code cannot restart it: say so instead of hiding it.
    if (monitor.alreadyRunning && created.length > 0) {
      warnings.push(
        `monitor ${monitorId} was already running and still watches the ids it started with, not those of what ` +
          `this run re-created (${inSeedOrder(created)
            .map((key) => stepTitle(key).toLowerCase())
            .join(', ')}): terminate that monitor and provision again, or tear the dataflow down`,
      );
      progress.warnings = warnings;
    }
  }

  progress.phase = 'succeeded';
  setStage('done');
  publish();
  return {
    workflowId,
    sandbox: input.sandbox,
    name: input.name,
    ids: completeIds,
    schedule: context.built.schedule,
    tenantId: context.built.tenantId,
    ...(monitorId ? { monitorWorkflowId: monitorId, monitorStartedNow } : {}),
    created: inSeedOrder(created),
    reused: inSeedOrder(reused),
    alreadyExisted: created.length === 0,
    ...(warnings.length > 0 ? { warnings } : {}),
  };

  /** Looks for every resource the dataflow would create; what exists now is reused and never deleted by this run. */
  async function lookForExisting(): Promise<ExistingResources> {
    return activities.steps.findExistingResources.executeWithOptions(
      { summary: 'look for resources this dataflow already has', priority: { priorityKey: surveyPriorityKey } },
      [{ dataflow, ...(shorterCriticalPath ? { withoutTargetSchema: true } : {}) }],
    );
  }

  /** The survey before the build (provisionings started before the shorter critical path). */
  async function survey(): Promise<ExistingResources> {
    try {
      return await lookForExisting();
    } catch (error) {
      // Nothing was created yet, so there is nothing to roll back; a cancel ends the workflow as cancelled.
      if (wf.isCancellation(error)) {
        progress.phase = 'cancelled';
        setStage('cancelled:look-for-existing');
        publish();
        throw error;
      }
      progress.failure = surveyFailure(error);
      progress.phase = 'failed';
      setStage('failed:look-for-existing');
      publish();
      throw provisioningFailed(progress.failure);
    }
  }

  /** The survey beside the schema branch: its failure stops the build, and what was built is rolled back. */
  async function surveyBesideTheBuild(): Promise<void> {
    try {
      Object.assign(existing, await lookForExisting());
      // Its start, first workflow task and run feed check fall in the build's AEP calls, not after the last one.
      if (startsMonitor && datasetWithTargetConnection && wf.patched(monitorAfterSurveyPatch)) {
        startMonitorBeforeTheFlow();
      }
    } catch (error) {
      if (!wf.isCancellation(error)) {
        failedSurvey = surveyFailure(error);
        buildScope.cancel();
      }
      throw error;
    }
  }

  /**
   * Starts the step once every step it needs is done, and the survey unless the step tells what it found itself;
   * never, if one of them failed or the build was cancelled.
   */
  async function startWhenReady(step: ProvisioningStep, surveyed: Promise<void>): Promise<void> {
    const needs = shorterCriticalPath ? step.needs : (step.neededBeforeShorterPath ?? step.needs);
    await Promise.all([
      ...needs.map((key) => finished.get(key)!),
      ...(shorterCriticalPath && step.startsBeforeSurvey ? [] : [surveyed]),
    ]);
    if (firstFailure !== undefined || buildScope.consideredCancelled) return;
    await runStep(step);
  }

  async function runStep(step: ProvisioningStep): Promise<void> {
    const state = stepOf(step.key);
    // A step that starts before the survey tells what it found when it is done; until then it may create.
    const tellsItself = shorterCriticalPath && step.startsBeforeSurvey === true;
    let foundBefore = tellsItself ? false : step.foundBefore?.(existing);
    if (step.undo && !foundBefore) compensations.unshift(step);
    // What this step's activity makes for a later step is undone too, should it fail after making it.
    const alsoMakes = datasetWithTargetConnection ? madeAlsoBy(step.key) : undefined;
    if (alsoMakes?.undo && !alsoMakes.foundBefore?.(existing)) compensations.unshift(alsoMakes);
    // The checklist says why that step stays pending while this one runs.
    if (alsoMakes) stepOf(alsoMakes.key).note = `next, in the ${stepTitle(step.key).toLowerCase()}'s activity`;
    running.add(step.key);
    moveStep(state, 'running');
    progress.phase = 'provisioning';
    if (!shorterCriticalPath) setStage(inSeedOrder(running).join('+'));
    publish();
    try {
      const keys = [step.key, ...(alsoMakes ? [alsoMakes.key] : [])];
      const numbers = `${keys.map(stepNumber).join('–')}/${provisioningSteps.length}`;
      const besideTheCreate =
        step.key === 'dataflow' &&
        !monitorStarting &&
        startsMonitor &&
        datasetWithTargetConnection &&
        wf.patched(monitorBesideDataflowPatch);
      if (step.key === 'dataflow' && (monitorStarting || besideTheCreate)) {
        context.monitorToTell = monitorWorkflowId(input.sandbox, input.name);
      }
      const running = step.run(context, {
        options: {
          summary: `step ${numbers}: ${keys.map(stepTitle).join(' and ')} for ${input.name}`,
          priority: { priorityKey: stepPriorityKey(step.key) },
        },
        lookFirst: mustLookFirst(step),
        ...(alsoMakes ? { lookFirstForMadeWith: mustLookFirst(alsoMakes) } : {}),
      });
      // Scheduled after the create (the worker starts them in that order).
      if (besideTheCreate) startMonitorBeforeTheFlow();
      const outcome = await running;
      state.resources = outcome.resources;
      if (outcome.note) state.note = outcome.note;
      if (outcome.owner) state.owner = outcome.owner;
      if (tellsItself && outcome.foundBefore !== undefined) foundBefore = outcome.foundBefore;
      // Judged against the survey, not the activity's answer: a retried create finds what its lost attempt made.
      if (foundBefore) {
        moveStep(state, 'reused');
        reused.push(step.key);
      } else {
        moveStep(state, 'done');
        if (foundBefore === false) created.push(step.key);
      }
      if (alsoMakes && outcome.alsoMade) showMadeWith(alsoMakes, outcome.alsoMade.resources);
    } catch (error) {
      if (wf.isCancellation(error)) {
        state.note = 'cancelled';
        moveStep(state, 'cancelled');
      } else if (alsoMakes && failureDetails(error)?.step === alsoMakes.key) {
        // This step's own part was done; the part it makes for the later step failed, and is that step's failure.
        moveStep(state, foundBefore ? 'reused' : 'done');
        const later = stepOf(alsoMakes.key);
        firstFailure ??= { key: alsoMakes.key, error };
        delete later.note;
        moveStep(later, 'running');
        later.note = causeOf(error);
        moveStep(later, 'failed');
        buildScope.cancel();
      } else {
        firstFailure ??= { key: step.key, error };
        state.note = causeOf(error);
        moveStep(state, 'failed');
        // The other branch stops: its running step is cancelled (and waited for), its next steps never start.
        buildScope.cancel();
      }
      throw error;
    } finally {
      if (alsoMakes && stepOf(alsoMakes.key).state === 'pending') delete stepOf(alsoMakes.key).note;
      running.delete(step.key);
      publish();
    }
  }

  /** Whether the step's create looks for its resource first on a first attempt: the survey found (or may have). */
  function mustLookFirst(step: ProvisioningStep): boolean {
    return (step.surveyFoundAny ?? step.foundBefore)?.(existing) ?? true;
  }

  /** The step another step's activity made: it starts and ends now, and its undo becomes the newest. */
  function showMadeWith(step: ProvisioningStep, resources: Record<string, string | number>): void {
    const state = stepOf(step.key);
    delete state.note;
    moveStep(state, 'running');
    state.resources = resources;
    if (compensations.includes(step)) compensations.unshift(...compensations.splice(compensations.indexOf(step), 1));
    if (step.foundBefore?.(existing)) {
      moveStep(state, 'reused');
      reused.push(step.key);
    } else {
      moveStep(state, 'done');
      created.push(step.key);
    }
  }

  /** AEP's status, code and message when the step carries them, and whether it ran out of its retry window. */
  function causeOf(error: unknown): string {
    const details = failureDetails(error);
    const retryWindow = formatDuration(input.activityTiming?.stepRetryTimeout ?? defaultStepRetryTimeout);
    return (
      (details?.detail !== undefined && details.step !== undefined ? describeAepFailure(details) : messageOf(error)) +
      (usedUpRetryWindow(error) ? ` (still failing after retrying for ${retryWindow})` : '')
    );
  }

  /**
   * Starts the monitor before its flow exists; the dataflow step's activity tells it the flow. Shielded from the
   * build's cancel: a monitor started here is stood down by the rollback instead.
   */
  function startMonitorBeforeTheFlow(): void {
    const awaiting = monitorDescriptor(input, idsSoFar(progress.ids), input.schedule);
    monitorStarting = wf.CancellationScope.nonCancellable(() => startMonitor(input, awaiting, workflowId));
    // Awaited after the build, whichever way it ends; a failed start is not a failed task meanwhile.
    monitorStarting.catch(() => undefined);
  }

  /** A monitor started before its flow has nothing to watch once the build is rolled back. */
  async function standDownMonitor(reason: string): Promise<void> {
    if (!monitorStarting) return;
    const starting = monitorStarting;
    await wf.CancellationScope.nonCancellable(async () => {
      const monitor = await starting.catch((error: unknown) => {
        wf.log.warn('the monitor did not start', { error: messageOf(error) });
        return undefined;
      });
      if (!monitor || monitor.alreadyRunning) return;
      await wf
        .getExternalWorkflowHandle(monitor.workflowId)
        .signal(provisioningRolledBackSignal, { provisioningWorkflowId: workflowId, reason });
    });
  }

  /** Names where the build stopped and runs every registered compensation, even if the workflow is being cancelled. */
  async function rollBack(
    failed: { key: ProvisioningStepKey; error: unknown } | undefined,
    cancelled: boolean,
  ): Promise<ProvisioningFailure> {
    const at: ProvisioningStepKey =
      failed?.key ??
      runningWhenCancelled[0] ??
      provisioningSteps.find((step) => !['done', 'reused'].includes(stepOf(step.key).state))?.key ??
      'dataflow';
    const details = failed ? failureDetails(failed.error) : undefined;
    const message = failed
      ? `Provisioning failed at step ${stepNumber(at)} of ${provisioningSteps.length} (${stepTitle(at)}): ${causeOf(failed.error)}`
      : `Provisioning was cancelled at step ${stepNumber(at)} of ${provisioningSteps.length} (${stepTitle(at)})`;
    const failure: ProvisioningFailure = {
      ...details,
      step: at,
      stepNumber: stepNumber(at),
      stepTitle: stepTitle(at),
      message,
      rolledBack: [],
      leftBehind: [],
    };
    await compensate(failure, cancelled);
    return failure;
  }

  /** Runs every registered compensation, newest first, noting in the failure what went and what is left. */
  async function compensate(failure: ProvisioningFailure, cancelled: boolean): Promise<void> {
    const at = failure.step;
    progress.failure = failure;
    progress.phase = 'compensating';
    setStage(`compensating:${at}`);
    publish();

    await wf.CancellationScope.nonCancellable(async () => {
      for (const compensation of compensations) {
        const label = stepTitle(compensation.key).toLowerCase();
        const step = stepOf(compensation.key);
        try {
          const { deleted, keptFor = {} } = await compensation.undo!(context);
          failure.rolledBack.push(...deleted.map((id) => `${label} ${id}`));
          const kept = Object.entries(keptFor);
          // A step that found its resource (another dataflow's, or there before this run) deletes nothing of it.
          if (kept.length === 0 && deleted.length === 0 && step.state === 'reused') {
            const mainId = Object.values(step.resources)
              .filter((value) => typeof value === 'string')
              .at(-1);
            kept.push([mainId ?? '', step.owner ? `belongs to ${step.owner}` : 'it was there before this run']);
          }
          if (kept.length > 0) {
            failure.kept = [...(failure.kept ?? []), ...kept.map(([id, why]) => `${label} ${id} (${why})`)];
          }
          // A step made by an earlier step's activity, which never got to it, stays as it was.
          if (step.state === 'pending' && deleted.length === 0 && kept.length === 0) continue;
          // What survived the rollback says so, and whose it is, rather than "rolled back".
          if (step.state !== 'failed' && deleted.length === 0 && kept.length > 0) {
            step.note = [...new Set(kept.map(([, why]) => why))].join('; ');
            moveStep(step, 'kept');
          } else if (step.state !== 'failed') moveStep(step, 'rolled-back');
        } catch (undoError) {
          failure.leftBehind.push(`${label}: ${messageOf(undoError)}`);
          moveStep(step, 'rollback-failed');
          wf.log.error('compensation failed', { step: compensation.key, error: messageOf(undoError) });
        }
        publish();
      }
    });
    progress.phase = cancelled ? 'cancelled' : 'failed';
    setStage(`${progress.phase}:${at}`);
    publish();
  }
}

/** The later step whose resource this step's activity makes too (the dataset's target connection). */
function madeAlsoBy(key: ProvisioningStepKey): ProvisioningStep | undefined {
  return provisioningGraph.find((step) => step.madeWith === key);
}

/** Step keys in the seed's order, whatever order they finished in. */
function inSeedOrder(keys: Iterable<ProvisioningStepKey>): ProvisioningStepKey[] {
  const set = new Set(keys);
  return provisioningSteps.filter((step) => set.has(step.key)).map((step) => step.key);
}

// Worker versioning (README "Upgrading a running fleet"): a provisioning is PINNED, it finishes on the build that
// started it, however long its retries and rollback take; the monitor it starts on the same task queue begins on
// that build too and moves to the current one at its first continue-as-new. Only a versioned worker may name a
// behavior (the server refuses one from an unversioned worker: the dev server, `npm run demo`, the tests), hence
// the getter (see dataflow-monitor.ts).
wf.setWorkflowOptions(
  () => (wf.workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  provisionDataflow,
);

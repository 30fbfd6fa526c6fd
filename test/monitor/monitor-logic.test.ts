/**
 * The monitor's decisions, as plain functions (no server): how runs are classified and counted, which alerts
 * they raise, where a reconcile's cursor goes, and the token's calendar.
 */
import assert from 'node:assert/strict';
import { defaultRetryOptions } from '../../src/aep/retry-policy';
import type { DataflowDescriptor } from '../../src/contracts/dataflow-types';
import {
  aepClientDefaults,
  aepReadBudgetMs,
  changeTimeoutMs,
  pollTimeoutMs,
} from '../../src/workflows/monitor/activity-timeouts';
import { describeDuration, parseDuration } from '../../src/contracts/durations';
import { deriveHealth } from '../../src/workflows/monitor/monitor-status';
import { jittered, reconcileIntervalMs } from '../../src/contracts/reconcile-cadence';
import { updateDataflowProblem } from '../../src/contracts/request-validation';
import { classifyFailure, runOutcome } from '../../src/contracts/run-classification';
import { advanceReconcileCursor, applyRuns } from '../../src/workflows/monitor/run-tracking';
import type { RunSummary } from '../../src/contracts/monitor-state';
import { initialMonitorState } from '../../src/workflows/monitor/state';
import { autoRotationDueAt, dueWarning, nextTokenEventAt, tokenWarningLeads } from '../../src/contracts/token-schedule';

const day = 86_400_000;
const now = Date.parse('2026-06-01T00:00:00Z');

function descriptor(overrides: Partial<DataflowDescriptor> = {}): DataflowDescriptor {
  return {
    sandbox: 'prod',
    name: 'consent',
    ids: {
      baseConnectionId: 'b',
      sourceConnectionId: 's',
      fieldGroupId: 'fg',
      schemaId: 'schema',
      schemaAltId: 'schema-alt',
      datasetId: 'd',
      targetConnectionId: 't',
      mappingSetId: 'm',
      mappingVersion: 0,
      flowId: 'f',
    },
    schedule: { frequency: 'minute', interval: 15, startTime: now / 1000 },
    oneTrust: {
      baseUrl: 'https://app.onetrust.com',
      token: { sealed: 'v1.x.y.z' },
      tokenExpiresAt: new Date(now + 90 * day).toISOString(),
    },
    ...overrides,
  };
}

function run(id: string, minute: number, outcome: RunSummary['outcome'], cause?: RunSummary['cause']): RunSummary {
  return {
    id,
    status: outcome === 'running' ? 'inProgress' : outcome,
    outcome,
    startedAt: new Date(now + minute * 60_000).toISOString(),
    ...(cause ? { cause, errors: [{ code: cause === 'token' ? 'CONNECTOR-1001-401' : 'X', message: 'm' }] } : {}),
  };
}

describe('dataflow monitor logic', function () {
  it('classifies run failures: mapping codes, auth codes and messages, everything else is the platform', function () {
    assert.equal(classifyFailure([{ code: 'MAPPER-3700-400', message: 'Mapper Transform Error' }]), 'mapping');
    assert.equal(
      classifyFailure([{ code: 'CONNECTOR-1001-401', message: 'Authentication with the source failed' }]),
      'token',
    );
    assert.equal(classifyFailure([{ code: '401013', message: 'Oauth token is not valid' }]), 'token');
    assert.equal(classifyFailure([{ code: 'CONNECTOR-2001-500', message: 'The access token has expired' }]), 'token');
    assert.equal(
      classifyFailure([{ code: 'CONNECTOR-2001-500', message: 'The dataset no longer exists.' }]),
      'platform',
    );
    assert.equal(runOutcome('inProgress'), 'running');
    assert.equal(runOutcome('Failed'), 'failed');
    assert.equal(runOutcome('partialSuccess'), 'success');
  });

  it('alerts on the first failure of a streak and on a change of cause, counts each run once, and alerts recovery', function () {
    const state = initialMonitorState(descriptor(), now);
    assert.deepEqual(applyRuns(state, [run('r1', 0, 'success')], now), []);

    let alerts = applyRuns(state, [run('r2', 15, 'failed', 'platform'), run('r3', 30, 'running')], now);
    assert.deepEqual(
      alerts.map((alert) => [alert.kind, alert.discriminator]),
      [['run-failed', 'r2']],
    );
    assert.equal(state.lastRuns.find((known) => known.id === 'r3')?.outcome, 'running', 'shown while in progress');

    alerts = applyRuns(state, [run('r2', 15, 'failed', 'platform'), run('r3', 30, 'failed', 'platform')], now);
    assert.deepEqual(alerts, [], 'same cause: no new alert; r2 is not counted twice');
    assert.equal(state.counts.runsLearned, 3, 'r1, r2 and r3, each once');
    assert.equal(state.lastRuns.find((known) => known.id === 'r3')?.learnedAt, new Date(now).toISOString());
    applyRuns(state, [run('r3', 30, 'running')], now);
    assert.equal(
      state.lastRuns.find((known) => known.id === 'r3')?.outcome,
      'failed',
      'a late in-progress sighting does not undo a finished run',
    );
    assert.equal(state.consecutiveFailures, 2);

    alerts = applyRuns(state, [run('r4', 45, 'failed', 'token')], now);
    assert.deepEqual(
      alerts.map((alert) => alert.kind),
      ['run-failed'],
      'the cause changed to the token',
    );
    assert.equal(state.failureCause, 'token');

    alerts = applyRuns(state, [run('r5', 60, 'success')], now);
    assert.equal(alerts[0]?.kind, 'recovered');
    assert.equal(alerts[0]?.details.failedRuns, 3);
    assert.equal(state.consecutiveFailures, 0);
    assert.deepEqual(
      state.lastRuns.map((known) => known.id),
      ['r5', 'r4', 'r3', 'r2', 'r1'],
    );
  });

  it('follows the newest run by start: an older run arriving later is shown and counted but changes no state', function () {
    const state = initialMonitorState(descriptor(), now);
    applyRuns(state, [run('newer', 30, 'success')], now);

    let alerts = applyRuns(state, [run('older', 15, 'failed', 'platform')], now);
    assert.deepEqual(alerts, [], 'no run-failed alert for a failure older than the newest success');
    assert.equal(state.consecutiveFailures, 0, 'still healthy');
    assert.equal(state.failureCause, undefined);
    assert.equal(state.failingSince, undefined);
    assert.deepEqual(
      state.lastRuns.map((known) => [known.id, known.outcome]),
      [
        ['newer', 'success'],
        ['older', 'failed'],
      ],
      'the older failure is in the history, behind the newer run',
    );
    assert.deepEqual(state.counts, { runsLearned: 2, runsFailed: 1, feedMessages: 0, reconciles: 0 });

    // The other way round: an older success does not end a newer failure's streak.
    applyRuns(state, [run('failing', 45, 'failed', 'token')], now);
    alerts = applyRuns(state, [run('late-success', 40, 'success')], now);
    assert.deepEqual(alerts, [], 'no recovery from a run older than the failure');
    assert.equal(state.consecutiveFailures, 1);
    assert.equal(state.failureCause, 'token');

    // A run in progress is not settled: an older run finishing while a newer one still runs changes the state.
    const fresh = initialMonitorState(descriptor(), now);
    applyRuns(fresh, [run('still-going', 30, 'running')], now);
    alerts = applyRuns(fresh, [run('earlier', 15, 'failed', 'mapping')], now);
    assert.deepEqual(
      alerts.map((alert) => alert.kind),
      ['run-failed'],
    );
    assert.equal(fresh.consecutiveFailures, 1);

    // Without the rule (monitors from before it): the older failure flips the state, as it used to.
    const unpatched = initialMonitorState(descriptor(), now);
    applyRuns(unpatched, [run('newer', 30, 'success')], now, { followNewestRun: false });
    alerts = applyRuns(unpatched, [run('older', 15, 'failed', 'platform')], now, { followNewestRun: false });
    assert.deepEqual(
      alerts.map((alert) => alert.kind),
      ['run-failed'],
    );
  });

  it('moves the reconcile cursor past a run still going, follows that run by id, and lets a stuck one go', function () {
    const state = initialMonitorState(descriptor(), now);
    const first = [run('slow', 0, 'running'), run('a', 15, 'success'), run('b', 30, 'failed', 'platform')];
    applyRuns(state, first, now);
    advanceReconcileCursor(state, first, now);
    assert.equal(state.reconcileCursorMs, now + 30 * 60_000, 'the next page starts after the newest run seen');
    assert.deepEqual(state.unfinishedRunIds, ['slow']);
    assert.equal(state.consecutiveFailures, 1);

    // The next page: newer runs, and the followed run (read by id) that has now failed.
    const second = [
      run('slow', 0, 'failed', 'token'),
      run('b', 30, 'failed', 'platform'),
      run('c', 45, 'failed', 'platform'),
    ];
    applyRuns(state, second, now);
    advanceReconcileCursor(state, second, now);
    assert.equal(
      state.consecutiveFailures,
      2,
      'b and c in the streak (b not twice); slow started before b: history only',
    );
    assert.equal(state.counts.runsLearned, 4, 'slow is still counted as learned');
    assert.deepEqual(state.unfinishedRunIds, []);

    const later = now + 2 * day;
    advanceReconcileCursor(state, [run('stuck', 60, 'running')], later);
    assert.deepEqual(state.unfinishedRunIds, [], 'a run in progress for more than a day is no longer followed');
    advanceReconcileCursor(state, [], later);
    assert.equal(state.reconcileCursorMs, now + 60 * 60_000, 'the cursor never moves backwards');
  });

  it('counts a dataflow whose runs cannot be listed as unmonitored, ahead of paused and failing', function () {
    const state = initialMonitorState(descriptor(), now);
    const leads = tokenWarningLeads(descriptor());
    state.paused = true;
    state.consecutiveFailures = 2;
    state.reconcileTrouble = { failures: 2, since: new Date(now).toISOString(), alerted: false };
    assert.equal(deriveHealth(state, leads, now), 'paused', 'not yet: a failed look or two is noise');
    state.reconcileTrouble = { failures: 3, since: new Date(now).toISOString(), alerted: true };
    assert.equal(deriveHealth(state, leads, now), 'unmonitored');
    state.token.expiresAt = new Date(now - 1000).toISOString();
    assert.equal(deriveHealth(state, leads, now), 'token-expired', 'an expired token is known without listing runs');
  });

  it('gives activities more time than the AEP client spends retrying one read', function () {
    assert.equal(aepClientDefaults.maxAttempts, defaultRetryOptions.maxAttempts);
    assert.equal(aepClientDefaults.maxRetryAfterMs, defaultRetryOptions.maxRetryAfterMs);
    const budget =
      defaultRetryOptions.maxAttempts * 30_000 +
      (defaultRetryOptions.maxAttempts - 1) * defaultRetryOptions.maxRetryAfterMs;
    assert.equal(aepReadBudgetMs, budget);
    assert.ok(pollTimeoutMs > budget, `poll timeout ${pollTimeoutMs} ms ≤ one read's budget ${budget} ms`);
    assert.ok(changeTimeoutMs > 2 * budget, 'a change makes at least two reads');
  });

  it('warns once per lead time, one alert when several are passed at once, and rotates before people are warned', function () {
    const leads = tokenWarningLeads(descriptor());
    assert.deepEqual(
      leads.map((lead) => lead.text),
      ['30d', '7d', '1d'],
    );
    const state = initialMonitorState(
      descriptor({ oneTrust: { ...descriptor().oneTrust, tokenExpiresAt: new Date(now + 5 * day).toISOString() } }),
      now,
    );
    const warning = dueWarning(state.token, leads, now);
    assert.deepEqual({ lead: warning?.lead.text, passed: warning?.passed }, { lead: '7d', passed: ['30d', '7d'] });
    state.token.warningsSent.push(...warning!.passed);
    assert.equal(dueWarning(state.token, leads, now), undefined);
    assert.equal(nextTokenEventAt(state.token, leads, false, now), now + 4 * day, 'next: the 1d warning');

    // A year-long token rotates at the longest lead time; a day-long one halfway through its life.
    const yearly = initialMonitorState(
      descriptor({ oneTrust: { ...descriptor().oneTrust, tokenExpiresAt: new Date(now + 365 * day).toISOString() } }),
      now,
    );
    assert.equal(autoRotationDueAt(yearly.token, leads), now + 335 * day);
    const daily = initialMonitorState(
      descriptor({ oneTrust: { ...descriptor().oneTrust, tokenExpiresAt: new Date(now + day).toISOString() } }),
      now,
    );
    assert.equal(autoRotationDueAt(daily.token, leads), now + day / 2);
    assert.equal(
      nextTokenEventAt(daily.token, leads, true, now),
      now + day / 2,
      'warnings wait while rotation can still happen',
    );
  });

  it('reads durations, reconciles every 6 h unless told otherwise (jittered), and validates changes as the spec does', function () {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('7d'), 7 * day);
    assert.equal(parseDuration('soon'), undefined);
    assert.equal(describeDuration(6 * day + 23 * 3_600_000 + 5_000), '6d 23h');
    assert.equal(reconcileIntervalMs(descriptor()), 6 * 3_600_000);
    assert.equal(reconcileIntervalMs(descriptor({ monitor: { pollInterval: '2h' } })), 2 * 3_600_000);
    assert.equal(reconcileIntervalMs(descriptor({ monitor: { pollInterval: '2h' } }), 1_000), 1_000, 'tests override');
    assert.equal(jittered(3_600_000, 0), 3_240_000);
    assert.equal(jittered(3_600_000, 0.5), 3_600_000);
    assert.equal(jittered(3_600_000, 1), 3_960_000);
    assert.equal(
      updateDataflowProblem({ schedule: { frequency: 'minute', interval: 5 } }),
      'schedule.interval: must be at least 15 (got 5)',
    );
    assert.equal(
      updateDataflowProblem({ schedule: { frequency: 'fortnight', interval: 15 } })?.startsWith('schedule.frequency'),
      true,
    );
    assert.match(
      updateDataflowProblem({ mapping: [{ sourceType: 'ATTRIBUTE', source: 'content.Language' }] }) ?? '',
      /mapping\[0\]\.destination/,
    );
    assert.match(updateDataflowProblem({ colour: 'blue' }) ?? '', /colour: not something updateDataflow can change/);
    assert.equal(updateDataflowProblem({ name: 'New name' }), undefined);
  });
});

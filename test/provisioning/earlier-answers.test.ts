/**
 * A step whose last attempt could not even be sent before its retry window closed still reports what AEP kept
 * answering the attempts before it, not only "deadline exceeded".
 */
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { AepError } from '../../src/aep';
import { toActivityFailure, type AepFailureDetails } from '../../src/activities/aep-failure';

const createDataflow = { method: 'POST', path: '/data/foundation/flowservice/flows' };

function unavailable(): AepError {
  return new AepError({
    ...createDataflow,
    status: 503,
    code: undefined,
    detail: 'Service Unavailable',
    requestId: 'request-1',
    retryable: true,
    retryAfterMs: undefined,
  });
}

function notSentBeforeDeadline(): AepError {
  return new AepError({
    ...createDataflow,
    status: undefined,
    code: 'DEADLINE_EXCEEDED',
    detail: 'not sent: the wait passes the deadline',
    requestId: undefined,
    retryable: true,
    retryAfterMs: undefined,
  });
}

async function failureOfAttempt(environment: MockActivityEnvironment, error: AepError): Promise<AepFailureDetails> {
  const failure = await environment.run(() => Promise.resolve(toActivityFailure(error, 'dataflow')));
  assert.ok(failure instanceof ApplicationFailure);
  return failure.details?.[0] as AepFailureDetails;
}

describe('a step cut short by the end of its retry window', function () {
  it("reports AEP's answer to the attempt before, noting the last attempt's deadline", async function () {
    const activity = new MockActivityEnvironment({ activityId: 'dataflow-1', attempt: 4 });
    assert.equal((await failureOfAttempt(activity, unavailable())).status, 503);

    const last = await failureOfAttempt(activity, notSentBeforeDeadline());
    assert.equal(last.status, 503);
    assert.match(last.detail, /^Service Unavailable \(last attempt: not sent: the wait passes the deadline\)$/);
  });

  it('reports the deadline as it is when AEP never answered this activity', async function () {
    const activity = new MockActivityEnvironment({ activityId: 'dataflow-2', attempt: 1 });
    const only = await failureOfAttempt(activity, notSentBeforeDeadline());
    assert.equal(only.status, undefined);
    assert.equal(only.code, 'DEADLINE_EXCEEDED');
  });
});

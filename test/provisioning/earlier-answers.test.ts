/**
 * A step whose last attempt could not even be sent before its retry window closed still reports what AEP kept
 * answering the attempts before it, not only "deadline exceeded". Each attempt runs in its own activity environment
 * that starts with the last heartbeat of the attempt before, as Temporal hands it over (whichever worker runs it):
 * nothing carries over in the worker's memory. The same across two worker processes: earlier-answers-workers.test.ts.
 */
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { AepError } from '../../src/aep';
import { toActivityFailure, type AepFailureDetails } from '../../src/activities/aep-failure';
import { activityCallScope } from '../../src/activities/activity-call-scope';

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

function connectionReset(): AepError {
  return new AepError({
    ...createDataflow,
    status: undefined,
    code: 'ECONNRESET',
    detail: 'other side closed',
    requestId: undefined,
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

/** One activity's attempts: each starts with the details the attempt before last heartbeated, as the server does. */
class Attempts {
  private attempt = 0;
  private lastHeartbeat: unknown;

  constructor(private readonly activityId: string) {}

  /** A new attempt's environment (on any worker: nothing else is shared). */
  next(): MockActivityEnvironment {
    this.attempt += 1;
    const environment = new MockActivityEnvironment({
      activityId: this.activityId,
      attempt: this.attempt,
      heartbeatDetails: this.lastHeartbeat,
    });
    environment.on('heartbeat', (details: unknown) => (this.lastHeartbeat = details));
    return environment;
  }

  async failWith(error: AepError): Promise<AepFailureDetails> {
    const failure = await this.next().run(() => Promise.resolve(toActivityFailure(error, 'dataflow')));
    assert.ok(failure instanceof ApplicationFailure);
    return failure.details?.[0] as AepFailureDetails;
  }
}

describe('a step cut short by the end of its retry window', function () {
  it("reports AEP's answer to the attempt before, noting the last attempt's deadline", async function () {
    const activity = new Attempts('dataflow-1');
    assert.equal((await activity.failWith(unavailable())).status, 503);

    const last = await activity.failWith(notSentBeforeDeadline());
    assert.equal(last.status, 503);
    assert.match(last.detail, /^Service Unavailable \(last attempt: not sent: the wait passes the deadline\)$/);
  });

  it('reports the deadline as it is when AEP never answered this activity', async function () {
    const activity = new Attempts('dataflow-2');
    const only = await activity.failWith(notSentBeforeDeadline());
    assert.equal(only.status, undefined);
    assert.equal(only.code, 'DEADLINE_EXCEEDED');
  });

  it("passes AEP's answer on through attempts that got none, noting only the last attempt's deadline", async function () {
    const activity = new Attempts('dataflow-3');
    await activity.failWith(unavailable());
    assert.equal((await activity.failWith(connectionReset())).code, 'ECONNRESET', 'a network error is told as it is');
    await activity.failWith(notSentBeforeDeadline());

    const last = await activity.failWith(notSentBeforeDeadline());
    assert.equal(last.status, 503);
    assert.equal(last.requestId, 'request-1');
    assert.match(last.detail, /^Service Unavailable \(last attempt: not sent: the wait passes the deadline\)$/);
  });

  it("keeps AEP's earlier answer in the heartbeats an attempt sends while it waits", async function () {
    const activity = new Attempts('dataflow-4');
    await activity.failWith(unavailable());

    const waiting = activity.next();
    await waiting.run(() => Promise.resolve(activityCallScope().onWait?.({ reason: 'pacing', waitMs: 2_000 })));

    const last = await activity.failWith(notSentBeforeDeadline());
    assert.equal(last.status, 503, 'the waiting attempt, lost with its worker, still passed the answer on');
  });
});

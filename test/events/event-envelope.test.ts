import assert from 'node:assert/strict';
import { flowRunEventsOf, MalformedEventError, readDelivery } from '../../src/events';

/** Trimmed to the fields the reader uses, in the shapes of Adobe's success and failure samples. */
function successSample(): Record<string, unknown> {
  return {
    event_id: 'aec55616-1715-487f-8044-ba648cc8ffee',
    recipient_client_id: 'client-a',
    event: {
      sandboxName: 'prod',
      imsOrgId: 'ORG@AdobeOrg',
      id: '933cf9f4-cf01-4d75-bcf9-f4cf010d750a',
      flowId: '1c6f1047-dcaf-48fe-af10-47dcaf08feaf',
      metrics: { statusSummary: { status: 'success' } },
      header: { _adobeio: { imsOrgId: 'ORG@AdobeOrg', eventCode: 'sources_flow_run_success' } },
    },
  };
}

function failureSample(): unknown[] {
  return [
    {
      messages: [
        {
          imsOrgId: 'ORG@AdobeOrg',
          _eventNotificationMeta: { category: 'Platform Notifications', type: 'sources_flow_run_failed' },
          value: {
            sandboxName: 'prod',
            id: 'd9024c32-2174-4271-824c-322174627101',
            flowId: 'cf4fce79-8822-456d-8fce-798822556dc6',
          },
        },
      ],
    },
  ];
}

function malformedField(body: unknown, headerEventId?: string): string {
  try {
    flowRunEventsOf(body, headerEventId);
  } catch (error) {
    if (error instanceof MalformedEventError) return `${error.field}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a MalformedEventError');
}

describe('events: flow-run event envelopes', () => {
  it('reads the success sample (event envelope)', () => {
    assert.deepEqual(flowRunEventsOf(successSample()), [
      {
        eventId: 'aec55616-1715-487f-8044-ba648cc8ffee',
        eventCode: 'sources_flow_run_success',
        outcome: 'succeeded',
        runId: '933cf9f4-cf01-4d75-bcf9-f4cf010d750a',
        flowId: '1c6f1047-dcaf-48fe-af10-47dcaf08feaf',
        sandboxName: 'prod',
        organizationId: 'ORG@AdobeOrg',
        recipientClientId: 'client-a',
        // The sample's metrics say how the run ended, but not its record counts or times, which the monitor
        // records: no facts, so the run feed reads the run.
      },
    ]);
  });

  it('takes what the run object says about a finished run (records, times, a few short errors)', () => {
    const body = successSample();
    const event = body.event as Record<string, unknown>;
    event.header = { _adobeio: { eventCode: 'sources_flow_run_failed' } };
    event.metrics = {
      statusSummary: {
        status: 'failed',
        errors: [
          { code: 'CONNECTOR-2001-500', message: 'x'.repeat(400) },
          { code: 'A', message: 'a' },
          { code: 'B', message: 'b' },
          { code: 'C', message: 'c' },
        ],
      },
      recordSummary: { inputRecordCount: '12', outputRecordCount: 10, failedRecordCount: 2 },
      durationSummary: { startedAtUTC: 1_700_000_000_000, completedAtUTC: '1700000060000' },
    };
    const [read] = flowRunEventsOf(body);
    assert.deepEqual(read?.run, {
      status: 'failed',
      startedAtMs: 1_700_000_000_000,
      completedAtMs: 1_700_000_060_000,
      records: { input: 12, output: 10, failed: 2 },
      errors: [
        { code: 'CONNECTOR-2001-500', message: `${'x'.repeat(300)}…` },
        { code: 'A', message: 'a' },
        { code: 'B', message: 'b' },
      ],
    });
  });

  it('leaves the run to be read when its metrics are missing, odd, or disagree with the event code', () => {
    const withMetrics = (metrics: unknown) => {
      const body = successSample();
      (body.event as Record<string, unknown>).metrics = metrics;
      return flowRunEventsOf(body)[0]!;
    };
    assert.equal(withMetrics(undefined).run, undefined);
    assert.equal(withMetrics({ statusSummary: { status: 'inProgress' } }).run, undefined);
    assert.equal(withMetrics({ statusSummary: { status: 'failed' } }).run, undefined);
    assert.equal(withMetrics({ statusSummary: { status: 42 } }).run, undefined);
    // Something a monitor records is missing: the record counts, or the run's start or end.
    const times = { startedAtUTC: 1_700_000_000_000, completedAtUTC: 1_700_000_060_000 };
    const records = { inputRecordCount: 12, outputRecordCount: 12, failedRecordCount: 0 };
    const complete = { statusSummary: { status: 'success' }, recordSummary: records, durationSummary: times };
    assert.ok(withMetrics(complete).run, 'with everything, the facts are taken');
    assert.equal(withMetrics({ ...complete, recordSummary: undefined }).run, undefined);
    assert.equal(withMetrics({ ...complete, recordSummary: {} }).run, undefined);
    assert.equal(withMetrics({ ...complete, durationSummary: { startedAtUTC: times.startedAtUTC } }).run, undefined);
    assert.equal(withMetrics({ ...complete, durationSummary: undefined }).run, undefined);
    assert.equal(withMetrics('success').run, undefined);
    // The event itself is still handed on.
    assert.equal(withMetrics('success').runId, '933cf9f4-cf01-4d75-bcf9-f4cf010d750a');
  });

  it('reads the failure sample (messages envelope), taking the event id from x-adobe-event-id', () => {
    assert.deepEqual(flowRunEventsOf(failureSample(), 'header-event-id'), [
      {
        eventId: 'header-event-id',
        eventCode: 'sources_flow_run_failed',
        outcome: 'failed',
        runId: 'd9024c32-2174-4271-824c-322174627101',
        flowId: 'cf4fce79-8822-456d-8fce-798822556dc6',
        sandboxName: 'prod',
        organizationId: 'ORG@AdobeOrg',
      },
    ]);
  });

  it('prefers the CloudEvents-style names and reads start events', () => {
    const body = successSample();
    Object.assign(body, { eventid: 'new-id', recipientclientid: 'client-b' });
    (body.event as { header: { _adobeio: { eventCode: string } } }).header._adobeio.eventCode =
      'sources_flow_run_started';
    const [event] = flowRunEventsOf(body);
    assert.equal(event!.eventId, 'new-id');
    assert.equal(event!.recipientClientId, 'client-b');
    assert.equal(event!.outcome, 'started');
  });

  it('reads a batch of both envelopes, each with its own event id', () => {
    const failure = failureSample()[0] as Record<string, unknown>;
    failure.event_id = 'failure-id';
    const events = flowRunEventsOf([successSample(), failure]);
    assert.deepEqual(
      events.map((event) => [event.eventId, event.outcome]),
      [
        ['aec55616-1715-487f-8044-ba648cc8ffee', 'succeeded'],
        ['failure-id', 'failed'],
      ],
    );
  });

  it('names the field that is missing or wrong', () => {
    const withoutFlow = successSample();
    delete (withoutFlow.event as Record<string, unknown>).flowId;
    assert.match(malformedField(withoutFlow), /^event\.flowId: .*event\.flowId is missing/);

    const failure = failureSample();
    delete (failure[0] as { messages: Array<{ value: Record<string, unknown> }> }).messages[0]!.value.id;
    assert.match(malformedField(failure, 'id'), /^\[0\]\.messages\[0\]\.value\.id: /);

    const numericRun = successSample();
    (numericRun.event as Record<string, unknown>).id = 42;
    assert.match(malformedField(numericRun), /^event\.id: .*must be a string/);

    const withoutId = successSample();
    delete withoutId.event_id;
    assert.match(malformedField(withoutId), /^event_id: .*is missing/);
    assert.match(malformedField('text'), /must be an object/);
  });

  it('skips events of other types, in either envelope, in a batch, or named by the delivery header only', () => {
    const otherCode = successSample();
    (otherCode.event as { header: { _adobeio: { eventCode: string } } }).header._adobeio.eventCode = 'asset_created';
    const mixedMessages = failureSample()[0] as { messages: unknown[]; event_id?: string };
    mixedMessages.event_id = 'mixed';
    mixedMessages.messages.unshift({ _eventNotificationMeta: { type: 'dataset_created' }, value: { anything: 1 } });
    const reading = readDelivery([otherCode, mixedMessages]);
    assert.deepEqual(reading.skipped, [
      { eventCode: 'asset_created', eventId: 'aec55616-1715-487f-8044-ba648cc8ffee' },
      { eventCode: 'dataset_created', eventId: 'mixed' },
    ]);
    assert.deepEqual(
      reading.events.map((event) => [event.eventId, event.outcome]),
      [['mixed#1', 'failed']],
    );
    // An AEM event knows nothing of our envelope; the x-adobe-event-code header says what it is.
    const aem = readDelivery({ id: 'aem-1', data: { path: '/content' } }, { eventCode: 'aem.sites.page.published' });
    assert.deepEqual(aem, { events: [], skipped: [{ eventCode: 'aem.sites.page.published', eventId: 'aem-1' }] });
    // A flow-run code with a broken event is still refused, naming the field.
    assert.throws(
      () => readDelivery({ event_id: 'x', event: { header: { _adobeio: { eventCode: 'sources_flow_run_success' } } } }),
      /event\.id is missing/,
    );
  });
});

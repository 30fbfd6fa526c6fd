import assert from 'node:assert/strict';
import { cachedOnKilled, carryOnFigures } from '../../scripts/benchmark-fleet/carry-on';
import type { HistoryEvent } from '../harness/run-update-signals';

const killed = '111@host';
const survivor = '222@host';
const kill = { identity: killed, atMs: 100_000 };
const waitingUntilMs = 500_000;

/** Events at whole seconds, built the way a fetched history has them. */
function at(seconds: number, attributes: HistoryEvent): HistoryEvent {
  return { eventTime: { seconds, nanos: 0 }, ...attributes } as HistoryEvent;
}
const started = (seconds: number) => at(seconds, { workflowExecutionStartedEventAttributes: {} });
const scheduled = (seconds: number) => at(seconds, { workflowTaskScheduledEventAttributes: {} });
const taken = (seconds: number, identity: string) => at(seconds, { workflowTaskStartedEventAttributes: { identity } });
const completed = (seconds: number, identity: string) =>
  at(seconds, { workflowTaskCompletedEventAttributes: { identity } });
const timedOut = (seconds: number) => at(seconds, { workflowTaskTimedOutEventAttributes: {} });
/** One workflow task, scheduled, started and completed by one worker. */
const task = (seconds: number, identity: string) => [
  scheduled(seconds),
  taken(seconds, identity),
  completed(seconds, identity),
];

describe('benchmark fleet: workflows cached on a killed worker', () => {
  it('measures an idle monitor from the kill and from the task that woke it', () => {
    const events = [started(10), ...task(10, killed), scheduled(160), taken(160, survivor), completed(161, survivor)];
    const cached = cachedOnKilled('dataflow:s:a', events, kill, waitingUntilMs);
    assert.deepEqual(cached, { workflowId: 'dataflow:s:a', carriedOnAtMs: 161_000, dueAtMs: 160_000, waiting: false });
    const figures = carryOnFigures([cached], kill);
    assert.equal(figures.afterKillSeconds?.max, 61);
    assert.equal(figures.onceDueSeconds?.max, 1);
  });

  it('counts a task in flight on the killed worker as due at the kill, through its time-out', () => {
    const events = [
      started(10),
      ...task(10, killed),
      scheduled(95),
      taken(95, killed),
      timedOut(105),
      scheduled(105),
      taken(106, survivor),
      completed(106, survivor),
    ];
    const cached = cachedOnKilled('dataflow:s:b', events, kill, waitingUntilMs);
    assert.equal(cached?.carriedOnAtMs, 106_000);
    assert.equal(cached?.dueAtMs, kill.atMs);
  });

  it('leaves out workflows cached elsewhere, closed before the kill or started after it', () => {
    const elsewhere = [started(10), ...task(10, killed), ...task(50, survivor), ...task(160, survivor)];
    const closed = [started(10), ...task(10, killed), at(20, { workflowExecutionContinuedAsNewEventAttributes: {} })];
    const later = [started(120), ...task(120, survivor)];
    for (const events of [elsewhere, closed, later])
      assert.equal(cachedOnKilled('dataflow:s:c', events, kill, waitingUntilMs), undefined);
  });

  it('tells a workflow with nothing to do from one whose due task nobody took', () => {
    const idle = cachedOnKilled('dataflow:s:d', [started(10), ...task(10, killed)], kill, waitingUntilMs);
    const stuck = cachedOnKilled(
      'dataflow:s:e',
      [started(10), ...task(10, killed), scheduled(150)],
      kill,
      waitingUntilMs,
    );
    // Due just before the workers were stopped: nobody could have taken it yet.
    const tooLateToTell = cachedOnKilled(
      'dataflow:s:f',
      [started(10), ...task(10, killed), scheduled(600)],
      kill,
      waitingUntilMs,
    );
    assert.deepEqual(idle, { workflowId: 'dataflow:s:d', waiting: false });
    assert.deepEqual(stuck, { workflowId: 'dataflow:s:e', waiting: true });
    assert.equal(tooLateToTell?.waiting, false);
    assert.deepEqual(carryOnFigures([idle, stuck], kill), { cached: 2, carriedOn: 0, waiting: 1 });
  });
});

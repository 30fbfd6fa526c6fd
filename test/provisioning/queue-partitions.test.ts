/**
 * The Temporal servers this project ships (the dev server's flags, the compose's dynamic config that the
 * PostgreSQL-backed server runs with) keep one partition per task queue: the server divides a queue's rate limit
 * among its partitions, and the provisioning queue's limit is the organisation's whole AEP call rate.
 */
import assert from 'node:assert/strict';
import { activityPartitions, splitRateLimitWarning } from '../../src/temporal/task-queue-partitions';
import { getTemporal } from '../harness/temporal';
import { uniqueName } from './provisioning-fixtures';

describe('task queue partitions: no queue of ours has its rate limit divided', function () {
  it('gives a new task queue one activity partition, so the shared AEP call rate is its whole limit', async function () {
    const { connection, namespace } = await getTemporal();
    const partitions = await activityPartitions(connection, { namespace, taskQueue: uniqueName('partitions') });
    assert.equal(partitions, 1, 'the server would give each partition 1/partitions of the rate');
  });

  it('warns a worker whose queue is split, naming the two settings to change', function () {
    assert.equal(splitRateLimitWarning('provisioning', 1), undefined);
    const warning = splitRateLimitWarning('provisioning', 4) ?? '';
    assert.match(warning, /task queue provisioning has 4 partitions: .* 1\/4 of the shared AEP call rate/);
    assert.match(warning, /matching\.numTaskqueueReadPartitions and matching\.numTaskqueueWritePartitions to 1/);
  });
});

/**
 * The sandbox run feed's activities (one look per tick, and starting a feed idempotently), spread into the
 * worker's activity set by src/activities/index.ts. Workflows see them as contracts' `RunFeedActivities`.
 */
import type {
  DeliverPushedRunsInput,
  DeliverSandboxRunsInput,
  ReadEventsJournalInput,
  RunFeedActivities,
} from '../../contracts/run-feed-activities';
import type { ActivityDependencies } from '../dependencies';
import { deliverPushedRuns } from './deliver-pushed-runs';
import { deliverSandboxRuns } from './deliver-sandbox-runs';
import { heartbeatWhileRunning } from '../heartbeat-while-running';
import { ensureRunFeed } from './ensure-run-feed';
import { readEventsJournal } from './read-events-journal';
import { FlowOwners } from './flow-owners';
import { temporalClientOf } from './temporal-client';

export function createRunFeedActivities(deps: ActivityDependencies): RunFeedActivities {
  // One cache of flow owners per worker process, shared by every look of every feed it runs.
  const owners = new FlowOwners(deps.aep);
  const temporal = temporalClientOf(deps);
  const settings = deps.runFeed ?? { taskQueue: 'onetrust-dataflows' };
  return {
    deliverSandboxRuns: (input: DeliverSandboxRunsInput) =>
      deliverSandboxRuns(input, { aep: deps.aep, owners, temporal }),
    deliverPushedRuns: (input: DeliverPushedRunsInput) => deliverPushedRuns(input, { aep: deps.aep, owners, temporal }),
    // Provisioning schedules it among its steps, with their heartbeat timeout.
    ensureRunFeed: heartbeatWhileRunning(({ sandbox }: { sandbox: string }) =>
      ensureRunFeed(sandbox, { temporal, settings }),
    ),
    readEventsJournal: (input: ReadEventsJournalInput) =>
      readEventsJournal(input, { aep: deps.aep, temporal, settings }),
  };
}

export type { RunFeedSettings } from '../../contracts/run-feed-settings';

/**
 * eventsJournal: reads an Adobe I/O Events journal for users who cannot expose a webhook (the pull path). Each
 * read hands the page's flow-run events to their sandboxes' run feeds, as the webhook receiver does, and returns
 * the next cursor, which this workflow keeps: it survives worker restarts and continue-as-new, so no event is read
 * past without being handed on. Nothing newer: it waits the journal's Retry-After. A read that fails is tried
 * again with backoff; the run feeds' own listing covers the gap.
 *
 * This file only wires the status query (contracts/events-journal-messages.ts) to the EventsJournalReader
 * (events-journal/journal-reader.ts).
 */
import { setHandler, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { EventsJournalReader } from './events-journal/journal-reader';
import { eventsJournalStatusQuery, type EventsJournalInput } from '../contracts/events-journal-messages';

export function eventsJournal(input: EventsJournalInput): Promise<void> {
  const reader = new EventsJournalReader(input);
  setHandler(eventsJournalStatusQuery, () => reader.status());
  return reader.run();
}

// Worker versioning (README "Upgrading a running fleet"): as the run feeds and the monitors, each run is PINNED to
// the build that started it, and the reader continues as new onto the current build between two reads once the
// server says a new one is current (journal-reader.ts), so an upgrade's old build drains. Only a versioned worker
// may name a behavior (the server refuses one from an unversioned worker), hence the getter.
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  eventsJournal,
);

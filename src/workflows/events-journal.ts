/**
 * eventsJournal: reads an Adobe I/O Events journal for users who cannot expose a webhook (the pull path). Each
 * read hands the page's flow-run events to their sandboxes' run feeds, as the webhook receiver does, and returns
 * the next cursor, which this workflow keeps: it survives worker restarts and continue-as-new, so no event is read
 * past without being handed on. Nothing newer: it waits the journal's Retry-After. A read that fails is tried
 * again with backoff; the run feeds' own listing covers the gap.
 */
import {
  ActivityFailure,
  continueAsNew,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { RunFeedActivities } from '../contracts/run-feed-activities';
import {
  eventsJournalStatusQuery,
  type EventsJournalCounts,
  type EventsJournalInput,
  type EventsJournalStatus,
} from '../contracts/events-journal-messages';
import { forWebUi } from './web-ui-markdown';

const { readEventsJournal } = proxyActivities<RunFeedActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 3 },
});

const defaultReadsPerRun = 100;
/** Between failed reads: doubling from 10 s to 5 minutes. */
const failureBackoffMs = (failures: number) => Math.min(300_000, 10_000 * 2 ** Math.max(0, failures - 1));

export async function eventsJournal(input: EventsJournalInput): Promise<void> {
  const counts: EventsJournalCounts = input.counts ?? {
    reads: 0,
    eventsHandedOn: 0,
    skipped: 0,
    expiredPositions: 0,
    failures: 0,
  };
  let next = input.next ?? input.journalUrl;
  let lastReadAt: string | undefined;
  let lastError: string | undefined;
  let failuresInARow = 0;
  const status = (): EventsJournalStatus => ({
    journalUrl: input.journalUrl,
    next,
    counts,
    ...(lastReadAt ? { lastReadAt } : {}),
    ...(lastError ? { lastError } : {}),
  });
  setHandler(eventsJournalStatusQuery, status);
  const publish = () =>
    setCurrentDetails(
      forWebUi([
        `### I/O Events journal: **${failuresInARow > 0 ? 'failing' : 'reading'}**`,
        '',
        `- Next read: ${next}`,
        `- Reads ${counts.reads}, events handed on ${counts.eventsHandedOn}, skipped ${counts.skipped}, expired positions ${counts.expiredPositions}`,
        ...(lastError ? [`- Last error: ${lastError}`] : []),
      ]),
    );

  for (let reads = 0; reads < (input.readsPerRun ?? defaultReadsPerRun); reads += 1) {
    publish();
    try {
      const result = await readEventsJournal({ url: next, runFeedTaskQueue: input.runFeedTaskQueue });
      next = result.next;
      counts.reads += 1;
      counts.eventsHandedOn += result.handedOn;
      counts.skipped += result.skipped;
      if (result.expired) counts.expiredPositions += 1;
      lastReadAt = new Date(Date.now()).toISOString();
      lastError = undefined;
      failuresInARow = 0;
      if (result.retryAfterMs !== undefined) {
        await sleep(Math.min(result.retryAfterMs, input.longestEmptyWaitMs ?? result.retryAfterMs));
      }
    } catch (error) {
      failuresInARow += 1;
      counts.failures += 1;
      lastError = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
      log.warn('could not read the I/O Events journal; trying again', { error: lastError });
      publish();
      await sleep(failureBackoffMs(failuresInARow));
    }
  }
  await continueAsNew<typeof eventsJournal>({ ...input, next, counts });
}

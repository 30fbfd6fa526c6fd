/**
 * The I/O Events journal reader's state (where to read next, its counts, its last read and error) and its loop of
 * reads, with the status it answers. The workflow function (../events-journal.ts) only wires the query to it.
 */
import {
  ActivityFailure,
  log,
  makeContinueAsNewFunc,
  proxyActivities,
  setCurrentDetails,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunFeedActivities } from '../../contracts/run-feed-activities';
import { forWebUi } from '../../contracts/web-ui-markdown';
import type {
  EventsJournalCounts,
  EventsJournalInput,
  EventsJournalStatus,
} from '../../contracts/events-journal-messages';

const { readEventsJournal } = proxyActivities<RunFeedActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 3 },
});

const defaultReadsPerRun = 100;
/** Between failed reads: doubling from 10 s to 5 minutes. */
const failureBackoffMs = (failures: number) => Math.min(300_000, 10_000 * 2 ** Math.max(0, failures - 1));

/** A new build became current (see the versioning note in ../events-journal.ts), or the server suggests it. */
function shouldContinueAsNew(): boolean {
  const info = workflowInfo();
  return info.targetWorkerDeploymentVersionChanged || info.continueAsNewSuggested;
}

export class EventsJournalReader {
  private readonly counts: EventsJournalCounts;
  /** Where the next read starts: the cursor the journal returned last, carried across continue-as-new. */
  private next: string;
  private lastReadAt: string | undefined;
  private lastError: string | undefined;
  private failuresInARow = 0;

  constructor(private readonly input: EventsJournalInput) {
    this.counts = input.counts ?? { reads: 0, eventsHandedOn: 0, skipped: 0, expiredPositions: 0, failures: 0 };
    this.next = input.next ?? input.journalUrl;
  }

  status(): EventsJournalStatus {
    const { lastReadAt, lastError } = this;
    return {
      journalUrl: this.input.journalUrl,
      next: this.next,
      counts: this.counts,
      ...(lastReadAt ? { lastReadAt } : {}),
      ...(lastError ? { lastError } : {}),
    };
  }

  /**
   * Reads page after page (waiting the journal's Retry-After when nothing is newer), then continues as new: after
   * `readsPerRun` reads, or sooner, between two reads, when a new build became current or the server finds the
   * history long.
   */
  async run(): Promise<void> {
    const { input, counts } = this;
    for (let reads = 0; reads < (input.readsPerRun ?? defaultReadsPerRun); reads += 1) {
      // Checked before every read but this run's first: after a Retry-After wait or a failure's backoff too.
      if (reads > 0 && shouldContinueAsNew()) break;
      this.publish();
      try {
        const result = await readEventsJournal({ url: this.next, runFeedTaskQueue: input.runFeedTaskQueue });
        this.next = result.next;
        counts.reads += 1;
        counts.eventsHandedOn += result.handedOn;
        counts.skipped += result.skipped;
        if (result.expired) counts.expiredPositions += 1;
        this.lastReadAt = new Date(Date.now()).toISOString();
        this.lastError = undefined;
        this.failuresInARow = 0;
        if (result.retryAfterMs !== undefined) {
          await sleep(Math.min(result.retryAfterMs, input.longestEmptyWaitMs ?? result.retryAfterMs));
        }
      } catch (error) {
        this.failuresInARow += 1;
        counts.failures += 1;
        this.lastError = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
        log.warn('could not read the I/O Events journal; trying again', { error: this.lastError });
        this.publish();
        await sleep(failureBackoffMs(this.failuresInARow));
      }
    }
    // The next run starts on the deployment's current build (this one stays on the build it began on), from `next`.
    return makeContinueAsNewFunc<(input: EventsJournalInput) => Promise<void>>({
      initialVersioningBehavior: 'AUTO_UPGRADE',
    })({ ...input, next: this.next, counts });
  }

  /** Shows the reader now in the Web UI (Current Details). */
  private publish(): void {
    const { counts, lastError } = this;
    setCurrentDetails(
      forWebUi([
        `### I/O Events journal: **${this.failuresInARow > 0 ? 'failing' : 'reading'}**`,
        '',
        `- Next read: ${this.next}`,
        `- Reads ${counts.reads}, events handed on ${counts.eventsHandedOn}, skipped ${counts.skipped}, expired positions ${counts.expiredPositions}`,
        ...(lastError ? [`- Last error: ${lastError}`] : []),
      ]),
    );
  }
}

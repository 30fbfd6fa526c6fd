/** What the I/O Events journal reader accepts and answers. Definitions only, importable without workflow code. */
import { query } from './message-definitions';

export interface EventsJournalInput {
  /** The journal URL of the registration, as the Developer Console shows it. */
  journalUrl: string;
  /** The task queue of the run feeds the events go to. */
  runFeedTaskQueue: string;
  /** Where to read next: carried across continue-as-new (absent: the journal's oldest kept event). */
  next?: string;
  /** Carried counters. */
  counts?: EventsJournalCounts;
  /** The longest wait after an empty read, whatever Retry-After says (tests shorten it). */
  longestEmptyWaitMs?: number;
  /** Continue as new after this many reads (default 100). */
  readsPerRun?: number;
}

export interface EventsJournalCounts {
  reads: number;
  eventsHandedOn: number;
  skipped: number;
  expiredPositions: number;
  failures: number;
}

export interface EventsJournalStatus {
  journalUrl: string;
  next: string;
  counts: EventsJournalCounts;
  lastReadAt?: string;
  lastError?: string;
}

export const eventsJournalStatusQuery = query<EventsJournalStatus>('status');

/**
 * One read of the Adobe I/O Events journal (the pull path, for users who cannot expose a webhook): read the page at
 * the cursor, hand its flow-run events to the run feeds of their sandboxes exactly as the webhook receiver does,
 * and only then return the next cursor. A crash in between reads the same page again; the feeds drop the events
 * they already have by event id. An expired position (events are kept 7 days) jumps to the newest events: what
 * was missed is left to the feeds' own listing.
 *
 * With IO_EVENTS_JOURNAL_URL configured, a read of any other origin is refused before the token is sent (the
 * reader itself keeps every next link on the origin it was read from). Events of other types are skipped and
 * counted; a feed is started only for a sandbox with a running dataflow monitor, with the worker's feed settings.
 */
import type { Client } from '@temporalio/client';
import { log } from '@temporalio/activity';
import { AepError, type AepClient } from '../../aep';
import { checkedJournalUrl, JournalUrlRefusedError } from '../../aep/events-journal';
import { MalformedEventError, readDelivery } from '../../events/event-envelope';
import type { FlowRunEvent } from '../../events/flow-run-event';
import type { EventsReceiverLogger } from '../../events/receiver-logger';
import { temporalHandOff } from '../../events/temporal-hand-off';
import { asStep } from '../aep-failure';
import type { RunFeedSettings } from '../../contracts/run-feed-settings';
import type { ReadEventsJournalInput, JournalReadResult } from '../../contracts/run-feed-activities';

export async function readEventsJournal(
  input: ReadEventsJournalInput,
  dependencies: { aep: AepClient; temporal: () => Client; settings?: RunFeedSettings },
): Promise<JournalReadResult> {
  let page;
  try {
    page = await asStep('read the I/O Events journal', async () => {
      const configured = dependencies.settings?.journalUrl;
      if (configured !== undefined && checkedJournalUrl(input.url).origin !== new URL(configured).origin) {
        throw new JournalUrlRefusedError(
          input.url,
          `not on the origin of IO_EVENTS_JOURNAL_URL (${new URL(configured).origin})`,
        );
      }
      return dependencies.aep.readEventsJournal(input.url);
    });
  } catch (error) {
    const expired = error instanceof AepError && error.status === 410;
    if (!expired) throw error;
    log.warn('the journal position expired: resuming at the newest events; the run feeds list what was missed');
    return { next: latestOf(input.url), handedOn: 0, skipped: 0, expired: true };
  }
  if (page.kind === 'empty') return { next: page.next, handedOn: 0, skipped: 0, retryAfterMs: page.retryAfterMs };

  const events: FlowRunEvent[] = [];
  let skipped = 0;
  for (const entry of page.entries) {
    try {
      const reading = readDelivery(entry.event);
      events.push(...reading.events);
      skipped += reading.skipped.length; // another event type of the same registration: not ours to hand on
    } catch (error) {
      if (!(error instanceof MalformedEventError)) throw error;
      log.warn('unreadable flow-run event in the journal: skipped', { position: entry.position, error: error.message });
      skipped += 1;
    }
  }
  let handedOn = 0;
  if (events.length > 0) {
    const handOff = temporalHandOff({
      client: dependencies.temporal(),
      runFeed: { ...dependencies.settings, taskQueue: input.runFeedTaskQueue },
      logger: activityLogger,
    });
    const report = await handOff(events, { signal: new AbortController().signal });
    const unmanaged = report.unmanaged.reduce((sum, entry) => sum + entry.eventIds.length, 0);
    if (unmanaged > 0) {
      log.warn('journal events of sandboxes without a dataflow monitor: nothing started', {
        sandboxes: report.unmanaged.map((entry) => entry.sandbox).join(','),
        events: unmanaged,
      });
    }
    handedOn = report.handedOn;
    skipped += events.length - handedOn;
  }
  return { next: page.next, handedOn, skipped };
}

/** The journal's base URL with `latest=true`: the next read starts after the newest event. */
function latestOf(url: string): string {
  const base = new URL(url);
  base.search = '';
  base.searchParams.set('latest', 'true');
  return base.toString();
}

/** The activity's own logger (Temporal's, with the activity's context), as the hand-off wants it. */
const activityLogger: EventsReceiverLogger = {
  info(message, meta) {
    log.info(message, meta);
  },
  warn(message, meta) {
    log.warn(message, meta);
  },
  error(message, meta) {
    log.error(message, meta);
  },
};

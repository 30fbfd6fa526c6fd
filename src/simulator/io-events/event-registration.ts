/**
 * An event registration as the Developer Console makes one: a webhook URL (optional: a journal-only registration
 * has none), the client id it belongs to (its events carry it as recipient client id), and its delivery health.
 * A few knobs exist only in the simulator, to make slow documented behaviour testable: a sandbox filter (so tests
 * sharing one simulator see only their own runs), the answer deadline, the retry window and the journal retention.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { envelopeStyles, type EnvelopeStyle } from './flow-run-notification';

/** Adobe's documented values: a 10 s answer deadline, retries for 24 h, events journaled for 7 days. */
export const documentedAnswerDeadlineMs = 10_000;
export const documentedRetryHours = 24;
export const documentedJournalRetentionHours = 7 * 24;

export const registrationInput = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'url must be an http or https URL' }).optional(),
    name: z.string().min(1).max(200).optional(),
    clientId: z.string().min(1).max(200).optional(),
    /** Simulator only: deliver the runs of this sandbox alone. */
    sandboxName: z.string().min(1).optional(),
    envelope: z.enum(envelopeStyles).optional(),
    /** Simulator only: wall-clock ms the webhook has to answer (Adobe: 10 s). */
    answerDeadlineMs: z.number().int().min(1).max(120_000).optional(),
    /** Simulator only: simulated hours an event is retried before it is given up (Adobe: 24). */
    retryForHours: z.number().positive().max(documentedRetryHours).optional(),
    /** Simulator only: simulated hours events stay in the journal (Adobe: 7 days). */
    journalRetentionHours: z.number().positive().max(documentedJournalRetentionHours).optional(),
  })
  .strict();
export type RegistrationInput = z.infer<typeof registrationInput>;

export type RegistrationStatus = 'active' | 'unstable' | 'disabled';

export interface DeliveryCounts {
  /** HTTP requests made, retries included. */
  attempts: number;
  failedAttempts: number;
  /** Events the webhook acknowledged with a 2xx. */
  delivered: number;
  /** Events waiting for a first attempt or a retry. */
  pending: number;
  /** Events answered with a status that is not retried (4xx, 505…). */
  refused: number;
  /** Events whose retries ran out, or that were pending when the registration was disabled. */
  givenUp: number;
  /** Events the drop fault kept from the webhook (still journaled). */
  dropped: number;
}

/** Counts of a registration that has delivered nothing yet. */
export function noDeliveries(): DeliveryCounts {
  return { attempts: 0, failedAttempts: 0, delivered: 0, pending: 0, refused: 0, givenUp: 0, dropped: 0 };
}

export class EventRegistration {
  readonly id = randomUUID();
  readonly createdAt: number;
  status: RegistrationStatus = 'active';
  /** Set when the registration is deleted, so its pending deliveries stop. */
  deleted = false;
  readonly counts: DeliveryCounts = noDeliveries();

  constructor(
    readonly input: RegistrationInput,
    readonly clientId: string,
    readonly organizationId: string,
    now: number,
  ) {
    this.createdAt = now;
  }

  get envelope(): EnvelopeStyle {
    return this.input.envelope ?? 'as-documented';
  }

  get answerDeadlineMs(): number {
    return this.input.answerDeadlineMs ?? documentedAnswerDeadlineMs;
  }

  get retryForMs(): number {
    return (this.input.retryForHours ?? documentedRetryHours) * 3_600_000;
  }

  get journalRetentionMs(): number {
    return (this.input.journalRetentionHours ?? documentedJournalRetentionHours) * 3_600_000;
  }

  /** The journal path, in the shape of Adobe's `/events/organizations/{org}/integrations/{credential}/{registration}`. */
  get journalPath(): string {
    return `/events/organizations/${encodeURIComponent(this.organizationId)}/integrations/${encodeURIComponent(this.clientId)}/${this.id}`;
  }

  wants(sandboxName: string): boolean {
    return this.input.sandboxName === undefined || this.input.sandboxName === sandboxName;
  }
}

/**
 * The simulator's Adobe I/O Events: event registrations, a journal per registration, webhook delivery, delivery
 * faults and the signing keys. Every run start and end becomes one flow-run event for every registration that
 * wants the run's sandbox: journaled at once (whatever happens to delivery), then delivered to its webhook.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, SimulatorSettings } from '../context';
import type { StoredRun } from '../flow-service/entity-types';
import { DeliveryFaults } from './delivery-faults';
import { EventJournal } from './event-journal';
import { EventRegistration, type RegistrationInput } from './event-registration';
import { eventCodeOf, notificationBody } from './flow-run-notification';
import { RegistrationHealth } from './registration-health';
import { SigningKeys } from './signing-keys';
import { challengeWebhook, type ChallengeOutcome } from './webhook-challenge';
import { WebhookDelivery } from './webhook-delivery';

export type RegistrationResult =
  { registered: true; registration: EventRegistration } | { registered: false; reason: string };

export class IoEventsService {
  readonly keys: SigningKeys;
  readonly faults = new DeliveryFaults();
  readonly delivery: WebhookDelivery;
  private readonly health: RegistrationHealth;
  private readonly registrations = new Map<string, EventRegistration>();
  private readonly journals = new Map<string, EventJournal>();

  constructor(
    private readonly clock: Clock,
    private readonly settings: SimulatorSettings,
  ) {
    this.keys = new SigningKeys(clock);
    this.health = new RegistrationHealth(clock);
    this.delivery = new WebhookDelivery(clock, this.keys, this.health, this.faults);
  }

  /** Registers after the webhook answered the challenge (a journal-only registration has no webhook to ask). */
  async register(input: RegistrationInput): Promise<RegistrationResult> {
    const registration = new EventRegistration(
      input,
      input.clientId ?? this.settings.clientId,
      this.settings.orgId,
      this.clock.now(),
    );
    // Made now rather than at the first event, so the first delivery is not slowed by key generation.
    await this.keys.currentPaths();
    const challenge = await this.challenge(registration);
    if (!challenge.accepted) return { registered: false, reason: challenge.reason };
    this.registrations.set(registration.id, registration);
    this.journals.set(registration.id, new EventJournal(this.clock, registration.journalRetentionMs));
    return { registered: true, registration };
  }

  /** The Console's "edit registration": the challenge again, and Active when it is answered. */
  async enable(registration: EventRegistration): Promise<ChallengeOutcome> {
    const challenge = await this.challenge(registration);
    if (challenge.accepted) registration.status = 'active';
    return challenge;
  }

  list(): EventRegistration[] {
    return [...this.registrations.values()];
  }

  get(id: string): EventRegistration | undefined {
    return this.registrations.get(id);
  }

  journalOf(id: string): EventJournal | undefined {
    return this.journals.get(id);
  }

  remove(id: string): boolean {
    const registration = this.registrations.get(id);
    if (!registration) return false;
    registration.deleted = true;
    this.registrations.delete(id);
    this.journals.delete(id);
    this.delivery.forget(id);
    return true;
  }

  /** Called by the run executor when a run starts and when it ends. */
  runChanged(run: StoredRun): void {
    const eventCode = eventCodeOf(run);
    const eventId = randomUUID();
    for (const registration of this.registrations.values()) {
      if (!registration.wants(run.sandboxName)) continue;
      const body = notificationBody(
        run,
        {
          eventId,
          eventCode,
          recipientClientId: registration.clientId,
          organizationId: registration.organizationId,
          timestamp: this.clock.now(),
        },
        registration.envelope,
      );
      this.journals.get(registration.id)?.append(body);
      this.delivery.deliver(registration, { id: eventId, code: eventCode, body: JSON.stringify(body) });
    }
  }

  stop(): void {
    this.delivery.stop();
  }

  private challenge(registration: EventRegistration): Promise<ChallengeOutcome> {
    const url = registration.input.url;
    if (url === undefined) return Promise.resolve({ accepted: true });
    return challengeWebhook(url, registration.answerDeadlineMs);
  }
}

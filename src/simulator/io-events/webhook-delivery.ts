/**
 * Delivers events to webhooks at least once: each event is POSTed with its two signatures; a 2xx acknowledges it;
 * 429, 5xx but 505, a missed answer deadline and an unreachable webhook are retried on Adobe's schedule in
 * simulated time; any other status refuses the event for good. An event whose retries run out is given up, and
 * if the registration is Unstable at that moment it becomes Disabled (its other pending events are given up at
 * their next attempt). Delivery faults act here: duplicates, holding an event until a later one was sent, delays,
 * drops and signatures by a key that is not served.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { Clock } from '../context';
import type { DeliveryEffects, DeliveryFaults } from './delivery-faults';
import type { EventRegistration } from './event-registration';
import type { RegistrationHealth } from './registration-health';
import { isRetriedAnswer, retryWaitMs } from './retry-schedule';
import type { SigningKeys } from './signing-keys';

/** The provider name in x-adobe-provider (Adobe's Console calls it "Platform notifications"). */
const providerName = 'platform-notifications';
/** Attempts kept per registration for the admin API. */
const keptAttempts = 2_000;

export interface OutgoingEvent {
  id: string;
  code: string;
  /** The exact JSON text sent and signed. */
  body: string;
}

export type AttemptOutcome = 'delivered' | 'retrying' | 'refused' | 'given-up';

export interface DeliveryAttempt {
  eventId: string;
  eventCode: string;
  deliveryId: string;
  /** 0 for the first attempt; the x-adobe-retry-count header on later ones. */
  retryCount: number;
  /** Wall-clock ISO time the attempt was sent. */
  sentAt: string;
  /** The webhook's answer; absent when it did not answer in time or could not be reached. */
  status?: number;
  error?: 'timeout' | 'unreachable';
  outcome: AttemptOutcome;
  wrongKey?: boolean;
}

interface Delivery {
  registration: EventRegistration;
  event: OutgoingEvent;
  deliveryId: string;
  wrongKey: boolean;
  /** Simulated ms spent waiting between attempts so far. */
  waitedMs: number;
}

export class WebhookDelivery {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly attempts = new Map<string, DeliveryAttempt[]>();
  /** Per registration, what releases the events a reorder fault holds back. */
  private readonly held = new Map<string, Set<() => void>>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly keys: SigningKeys,
    private readonly health: RegistrationHealth,
    private readonly faults: DeliveryFaults,
  ) {}

  deliver(registration: EventRegistration, event: OutgoingEvent): void {
    if (registration.input.url === undefined || registration.status === 'disabled') return;
    const effects = this.faults.take(registration.id, event.code);
    if (effects.drop) {
      registration.counts.dropped += 1;
      return;
    }
    for (let copy = 0; copy < (effects.duplicate ? 2 : 1); copy += 1) {
      const delivery: Delivery = {
        registration,
        event,
        deliveryId: randomUUID(),
        wrongKey: effects.wrongKey,
        waitedMs: 0,
      };
      registration.counts.pending += 1;
      this.begin(delivery, effects);
    }
  }

  attemptsOf(registrationId: string): DeliveryAttempt[] {
    return [...(this.attempts.get(registrationId) ?? [])];
  }

  forget(registrationId: string): void {
    this.attempts.delete(registrationId);
    this.held.delete(registrationId);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private begin(delivery: Delivery, effects: DeliveryEffects): void {
    if (effects.holdMs !== undefined) {
      const holds = this.held.get(delivery.registration.id) ?? new Set<() => void>();
      this.held.set(delivery.registration.id, holds);
      const release = this.releasable(effects.holdMs, () => {
        holds.delete(release);
        void this.attempt(delivery, 0);
      });
      holds.add(release);
      return;
    }
    if (effects.delayMs !== undefined && effects.delayMs > 0) {
      this.releasable(effects.delayMs, () => void this.attemptThenReleaseHeld(delivery));
      return;
    }
    void this.attemptThenReleaseHeld(delivery);
  }

  /** Runs `action` after `waitMs`, or at once when the faults are cleared; returns what runs it early. */
  private releasable(waitMs: number, action: () => void): () => void {
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.timers.delete(timer);
      unregister();
      if (!this.stopped) action();
    };
    const timer = setTimeout(release, waitMs);
    timer.unref();
    this.timers.add(timer);
    const unregister = this.faults.onClear(release);
    return release;
  }

  /** The first attempt of an event that is not held; once it was answered, held events follow it. */
  private async attemptThenReleaseHeld(delivery: Delivery): Promise<void> {
    await this.attempt(delivery, 0);
    const holds = this.held.get(delivery.registration.id);
    if (holds) for (const release of [...holds]) release();
  }

  private async attempt(delivery: Delivery, retryCount: number): Promise<void> {
    const { registration, event } = delivery;
    if (this.stopped) return;
    if (registration.deleted || registration.status === 'disabled' || registration.input.url === undefined) {
      this.settle(delivery, 'givenUp');
      return;
    }
    const signatures = await this.keys.sign(event.body, delivery.wrongKey);
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Adobe/1.0',
      'x-adobe-delivery-id': delivery.deliveryId,
      'x-adobe-event-code': event.code,
      'x-adobe-event-id': event.id,
      'x-adobe-provider': providerName,
      'x-adobe-digital-signature-1': signatures.signature1,
      'x-adobe-digital-signature-2': signatures.signature2,
      'x-adobe-public-key1-path': signatures.publicKey1Path,
      'x-adobe-public-key2-path': signatures.publicKey2Path,
    };
    if (retryCount > 0) headers['x-adobe-retry-count'] = String(retryCount);

    const sentAt = new Date(this.clock.now()).toISOString();
    let status: number | undefined;
    let error: DeliveryAttempt['error'];
    const deadline = AbortSignal.timeout(registration.answerDeadlineMs);
    try {
      const response = await request(registration.input.url, {
        method: 'POST',
        headers,
        body: event.body,
        signal: deadline,
      });
      await response.body.dump();
      status = response.statusCode;
    } catch {
      error = deadline.aborted ? 'timeout' : 'unreachable';
    }
    if (this.stopped) return;

    const acknowledged = status !== undefined && status >= 200 && status < 300;
    this.health.record(registration, !acknowledged);
    registration.counts.attempts += 1;
    if (!acknowledged) registration.counts.failedAttempts += 1;

    let outcome: AttemptOutcome;
    if (acknowledged) {
      outcome = 'delivered';
      this.settle(delivery, 'delivered');
    } else if (!isRetriedAnswer(status)) {
      outcome = 'refused';
      this.settle(delivery, 'refused');
    } else {
      const waitMs = retryWaitMs(retryCount + 1);
      if (delivery.waitedMs + waitMs > registration.retryForMs) {
        outcome = 'given-up';
        this.settle(delivery, 'givenUp');
        if (registration.status === 'unstable') registration.status = 'disabled';
      } else {
        outcome = 'retrying';
        delivery.waitedMs += waitMs;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void this.attempt(delivery, retryCount + 1);
        }, this.clock.scaled(waitMs));
        timer.unref();
        this.timers.add(timer);
      }
    }
    this.record(registration.id, {
      eventId: event.id,
      eventCode: event.code,
      deliveryId: delivery.deliveryId,
      retryCount,
      sentAt,
      ...(status !== undefined ? { status } : {}),
      ...(error !== undefined ? { error } : {}),
      outcome,
      ...(delivery.wrongKey ? { wrongKey: true } : {}),
    });
  }

  private settle(delivery: Delivery, result: 'delivered' | 'refused' | 'givenUp'): void {
    const counts = delivery.registration.counts;
    counts.pending -= 1;
    counts[result] += 1;
  }

  private record(registrationId: string, attempt: DeliveryAttempt): void {
    const list = this.attempts.get(registrationId) ?? [];
    list.push(attempt);
    if (list.length > keptAttempts) list.splice(0, list.length - keptAttempts);
    this.attempts.set(registrationId, list);
  }
}

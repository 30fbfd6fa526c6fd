/**
 * A registration's health from its recent delivery attempts (adobe-io-events common/retry-doc.md): Unstable when,
 * in the last 30 minutes, over 80% of at least 10 attempts failed; back to Active on the next successful delivery.
 * Disabled is decided by the delivery (an event whose retries ran out while Unstable) and stays until the
 * registration is enabled again (the Console's "edit registration", which repeats the challenge).
 */
import type { Clock } from '../context';
import type { EventRegistration } from './event-registration';

const windowMs = 30 * 60_000;
const smallestSample = 10;
const failureShareThreshold = 0.8;

export class RegistrationHealth {
  /** Wall time and outcome of each attempt, per registration, oldest first. */
  private readonly attempts = new Map<string, Array<{ at: number; failed: boolean }>>();

  constructor(private readonly clock: Clock) {}

  record(registration: EventRegistration, failed: boolean): void {
    const now = this.clock.now();
    const recent = (this.attempts.get(registration.id) ?? []).filter(
      (attempt) => attempt.at > now - this.clock.scaled(windowMs),
    );
    recent.push({ at: now, failed });
    this.attempts.set(registration.id, recent);
    if (registration.status === 'disabled') return;
    if (!failed) {
      registration.status = 'active';
      return;
    }
    const failures = recent.filter((attempt) => attempt.failed).length;
    if (recent.length >= smallestSample && failures / recent.length > failureShareThreshold) {
      registration.status = 'unstable';
    }
  }

  forget(registrationId: string): void {
    this.attempts.delete(registrationId);
  }
}

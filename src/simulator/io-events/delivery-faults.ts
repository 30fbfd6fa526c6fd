/**
 * Faults in I/O Events delivery, added through the admin API, each firing for the next `times` events it matches
 * (forever without `times`), optionally only for one registration or one event code:
 * - duplicate: the event is delivered twice, as two deliveries with the same event id;
 * - reorder: the event is held and sent right after the next event of the registration (or after `holdMs`);
 * - delay: the first attempt waits `delayMs` wall-clock ms;
 * - drop: the event is never delivered (it is still in the journal);
 * - wrong-key: the event is signed with a key that is not served (its headers still name the served keys).
 */
import { z } from 'zod';
import { flowRunEventCodes } from './flow-run-notification';

export const deliveryFaultKinds = ['duplicate', 'reorder', 'delay', 'drop', 'wrong-key'] as const;
export type DeliveryFaultKind = (typeof deliveryFaultKinds)[number];

/** A held event is released after this long when no later event comes to overtake it. */
export const defaultHoldMs = 2_000;

export const deliveryFaultInput = z
  .object({
    kind: z.enum(deliveryFaultKinds),
    times: z.number().int().positive().optional(),
    registrationId: z.string().min(1).optional(),
    eventCode: z.enum(Object.values(flowRunEventCodes) as [string, ...string[]]).optional(),
    delayMs: z.number().int().min(0).max(600_000).optional(),
    holdMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict()
  .refine((input) => input.kind !== 'delay' || input.delayMs !== undefined, {
    error: 'a delay fault needs delayMs',
    path: ['delayMs'],
  });
export type DeliveryFaultInput = z.infer<typeof deliveryFaultInput>;

export interface DeliveryFault extends DeliveryFaultInput {
  id: string;
  /** How many more events the fault acts on; undefined means forever. */
  remaining?: number;
  fired: number;
}

/** What one delivery of one event suffers; several faults may act on the same event. */
export interface DeliveryEffects {
  duplicate: boolean;
  holdMs?: number;
  delayMs?: number;
  drop: boolean;
  wrongKey: boolean;
}

export class DeliveryFaults {
  private faults: DeliveryFault[] = [];
  private nextId = 1;
  private readonly clearListeners = new Set<() => void>();

  add(input: DeliveryFaultInput): DeliveryFault {
    const fault: DeliveryFault = { ...input, id: `io-fault-${this.nextId++}`, remaining: input.times, fired: 0 };
    this.faults.push(fault);
    return { ...fault };
  }

  list(): DeliveryFault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  /** Removes every fault and releases what delays and holds still keep back. */
  clear(): void {
    this.faults = [];
    for (const listener of [...this.clearListeners]) listener();
  }

  /** Registers what releases a held or delayed event when the faults are cleared; returns how to unregister it. */
  onClear(release: () => void): () => void {
    this.clearListeners.add(release);
    return () => this.clearListeners.delete(release);
  }

  /** The effects on one event for one registration; every matching fault fires (at most once per kind). */
  take(registrationId: string, eventCode: string): DeliveryEffects {
    const effects: DeliveryEffects = { duplicate: false, drop: false, wrongKey: false };
    const firedKinds = new Set<DeliveryFaultKind>();
    for (const fault of this.faults) {
      if (firedKinds.has(fault.kind)) continue;
      if (fault.registrationId !== undefined && fault.registrationId !== registrationId) continue;
      if (fault.eventCode !== undefined && fault.eventCode !== eventCode) continue;
      firedKinds.add(fault.kind);
      fault.fired += 1;
      if (fault.remaining !== undefined) fault.remaining -= 1;
      if (fault.kind === 'duplicate') effects.duplicate = true;
      else if (fault.kind === 'reorder') effects.holdMs = fault.holdMs ?? defaultHoldMs;
      else if (fault.kind === 'delay') effects.delayMs = fault.delayMs;
      else if (fault.kind === 'drop') effects.drop = true;
      else effects.wrongKey = true;
    }
    this.faults = this.faults.filter((fault) => fault.remaining === undefined || fault.remaining > 0);
    return effects;
  }
}

/**
 * One registration's journal (adobe-io-events guides/api/journaling-api.md): an ordered log of its events, each at
 * a position. A read starts after a position (`since`), at the oldest event kept (no parameter), at the end
 * (`latest=true`), or at a moment in the past (`seek`, a negative ISO 8601 duration such as -PT2H); `limit` caps
 * the count. Events are kept for the retention (7 simulated days unless the registration says otherwise); a read
 * from a position whose event has expired is Gone.
 */
import type { Clock } from '../context';

export interface JournalEntry {
  position: string;
  event: unknown;
}

export interface JournalQuery {
  since?: string;
  limit?: number;
  latest?: boolean;
  seek?: string;
}

export type JournalRead =
  | { kind: 'events'; entries: JournalEntry[]; last: string }
  | { kind: 'empty'; position: string }
  | { kind: 'gone'; position: string }
  | { kind: 'invalid'; message: string };

interface StoredEntry {
  sequence: number;
  journaledAt: number;
  event: unknown;
}

const positionPattern = /^seq:(\d+)$/;

export function positionOf(sequence: number): string {
  return `seq:${sequence}`;
}

export class EventJournal {
  private entries: StoredEntry[] = [];
  private lastSequence = 0;
  /** The highest sequence that has expired; 0 while nothing has. */
  private expiredThrough = 0;

  constructor(
    private readonly clock: Clock,
    /** Simulated ms an event stays. */
    private readonly retentionMs: number,
  ) {}

  append(event: unknown): string {
    this.expire();
    this.lastSequence += 1;
    this.entries.push({ sequence: this.lastSequence, journaledAt: this.clock.now(), event });
    return positionOf(this.lastSequence);
  }

  read(query: JournalQuery): JournalRead {
    this.expire();
    if (query.since !== undefined && query.seek !== undefined) {
      return { kind: 'invalid', message: 'seek and since cannot be used together' };
    }
    let after: number;
    if (query.since !== undefined) {
      const match = positionPattern.exec(query.since);
      const sequence = match ? Number(match[1]) : Number.NaN;
      if (!Number.isSafeInteger(sequence) || sequence > this.lastSequence) {
        return { kind: 'invalid', message: `unknown journal position ${query.since}` };
      }
      if (this.expiredThrough > 0 && sequence <= this.expiredThrough) return { kind: 'gone', position: query.since };
      after = sequence;
    } else if (query.latest) {
      after = this.lastSequence;
    } else if (query.seek !== undefined) {
      const lookBackMs = pastDurationMs(query.seek);
      if (lookBackMs === undefined) {
        return {
          kind: 'invalid',
          message: `seek must be a negative ISO 8601 duration such as -PT2H, got ${query.seek}`,
        };
      }
      const from = this.clock.now() - this.clock.scaled(lookBackMs);
      const before = this.entries.filter((entry) => entry.journaledAt < from);
      after = before.at(-1)?.sequence ?? this.expiredThrough;
    } else {
      after = this.expiredThrough;
    }
    const newer = this.entries.filter((entry) => entry.sequence > after);
    const page = query.limit === undefined ? newer : newer.slice(0, query.limit);
    if (page.length === 0) return { kind: 'empty', position: positionOf(after) };
    return {
      kind: 'events',
      entries: page.map((entry) => ({ position: positionOf(entry.sequence), event: entry.event })),
      last: positionOf(page.at(-1)!.sequence),
    };
  }

  private expire(): void {
    const cutoff = this.clock.now() - this.clock.scaled(this.retentionMs);
    let expiredCount = 0;
    while (expiredCount < this.entries.length && this.entries[expiredCount]!.journaledAt <= cutoff) expiredCount += 1;
    if (expiredCount === 0) return;
    this.expiredThrough = this.entries[expiredCount - 1]!.sequence;
    this.entries = this.entries.slice(expiredCount);
  }
}

/** Simulated ms of a negative ISO 8601 duration (-P1D, -PT2H, -P5DT2H30M, -PT90S); undefined when malformed. */
function pastDurationMs(text: string): number | undefined {
  const match = /^-P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!match || text === '-P' || text.endsWith('T')) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match;
  const part = (value: string | undefined, unitMs: number) => (value === undefined ? 0 : Number(value) * unitMs);
  return (
    part(weeks, 7 * 86_400_000) +
    part(days, 86_400_000) +
    part(hours, 3_600_000) +
    part(minutes, 60_000) +
    part(seconds, 1000)
  );
}

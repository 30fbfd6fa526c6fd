/**
 * What the events receiver counts, for operators: events it did not hand on and why, key paths it refused without
 * a fetch, and the key cache's fetches. Shown at `GET /status` and in the log line of each occurrence.
 */
export interface ReceiverCounts {
  /** Flow-run events handed to the run feeds. */
  eventsHandedOff: number;
  /** Events of another organisation than AEP_ORG_ID (or naming none): answered 200, nothing started. */
  foreignEvents: number;
  /** Events of a sandbox with no running feed and no running dataflow monitor: answered 200, nothing started. */
  unmanagedSandboxEvents: number;
  /** Events of other types than flow runs, answered 200 and skipped; by event code. */
  skippedEventCodes: Record<string, number>;
  /** Key paths not of the documented shape, refused without a fetch. */
  refusedKeyPaths: number;
  /** Deliveries answered 401 (no signature verified). */
  unverifiedDeliveries: number;
  /** Deliveries not finished within the request deadline (answered 503). */
  deadlineExceeded: number;
}

const largestDistinctCodes = 100;

export class ReceiverCounters {
  private readonly counts: ReceiverCounts = {
    eventsHandedOff: 0,
    foreignEvents: 0,
    unmanagedSandboxEvents: 0,
    skippedEventCodes: {},
    refusedKeyPaths: 0,
    unverifiedDeliveries: 0,
    deadlineExceeded: 0,
  };

  add(counter: Exclude<keyof ReceiverCounts, 'skippedEventCodes'>, by = 1): number {
    this.counts[counter] += by;
    return this.counts[counter];
  }

  /** Counts a skipped event code; past a hundred distinct codes the rest are counted under `other`. */
  skippedCode(code: string): number {
    const codes = this.counts.skippedEventCodes;
    const key = Object.hasOwn(codes, code) || Object.keys(codes).length < largestDistinctCodes ? code : 'other';
    codes[key] = (codes[key] ?? 0) + 1;
    return codes[key];
  }

  snapshot(): ReceiverCounts {
    return { ...this.counts, skippedEventCodes: { ...this.counts.skippedEventCodes } };
  }
}

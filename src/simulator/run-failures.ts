/**
 * The share of runs that fail with a platform error, for benchmarks and tests of what watches runs: one share for
 * every sandbox (the `--run-failure-share` flag, or the admin API), and optional shares for single sandboxes.
 * Each run is drawn on its own, so a share of 0.1 fails about one run in ten, in no pattern.
 */
import { z } from 'zod';

export const runFailureShareInput = z
  .object({
    share: z.number().min(0).max(1),
    sandbox: z.string().min(1).optional(),
  })
  .strict();
export type RunFailureShareInput = z.infer<typeof runFailureShareInput>;

export interface RunFailureSettings {
  /** The share of runs that fail in every sandbox without its own. */
  share: number;
  /** Sandboxes with their own share. */
  sandboxes: Record<string, number>;
  /** Runs failed this way since the simulator started. */
  failedRuns: number;
}

export class RunFailures {
  private share: number;
  private readonly sandboxShares = new Map<string, number>();
  private failedRuns = 0;

  constructor(
    private readonly initialShare = 0,
    private readonly random: () => number = Math.random,
  ) {
    assertShare(initialShare);
    this.share = initialShare;
  }

  set(input: RunFailureShareInput): void {
    assertShare(input.share);
    if (input.sandbox === undefined) this.share = input.share;
    else this.sandboxShares.set(input.sandbox, input.share);
  }

  /** Back to the share the simulator started with, for every sandbox. */
  reset(): void {
    this.share = this.initialShare;
    this.sandboxShares.clear();
  }

  settings(): RunFailureSettings {
    return { share: this.share, sandboxes: Object.fromEntries(this.sandboxShares), failedRuns: this.failedRuns };
  }

  /** Draws whether the run about to start in `sandbox` fails, and counts it when it does. */
  shouldFail(sandbox: string): boolean {
    const share = this.sandboxShares.get(sandbox) ?? this.share;
    if (share <= 0 || this.random() >= share) return false;
    this.failedRuns += 1;
    return true;
  }
}

function assertShare(share: number): void {
  if (!(share >= 0 && share <= 1)) throw new RangeError(`a run failure share is between 0 and 1, got ${share}`);
}

/**
 * The monitor's one timer: it sleeps until the next thing on its own calendar (a reconcile, a token warning,
 * expiry or automatic rotation). A `condition` with a timeout would start a new timer at every wake and cancel
 * it at the next (two history events per run handed over by the feed); this timer is kept while its deadline is
 * unchanged, so a message from the feed costs the signal and one workflow task, nothing more.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

export class WakeTimer {
  private deadlineMs: number | undefined;
  private scope: CancellationScope | undefined;
  private firedFor: number | undefined;

  /** True once the deadline last armed has passed. */
  get fired(): boolean {
    return this.deadlineMs !== undefined && this.firedFor === this.deadlineMs;
  }

  /** Wakes the monitor at `deadlineMs`; a deadline already armed keeps its timer. */
  arm(deadlineMs: number): void {
    if (deadlineMs === this.deadlineMs && (this.scope !== undefined || this.fired)) return;
    this.scope?.cancel();
    this.scope = undefined;
    this.deadlineMs = deadlineMs;
    this.firedFor = undefined;
    const delayMs = deadlineMs - Date.now();
    if (delayMs <= 0) {
      this.firedFor = deadlineMs;
      return;
    }
    const scope = new CancellationScope();
    this.scope = scope;
    void scope
      .run(() => sleep(delayMs))
      .then(
        () => {
          if (this.scope !== scope) return;
          this.scope = undefined;
          this.firedFor = deadlineMs;
        },
        (error: unknown) => {
          // Replaced by a new deadline: nothing to do. Anything else is a bug worth failing the task for.
          if (!isCancellation(error)) throw error;
        },
      );
  }
}

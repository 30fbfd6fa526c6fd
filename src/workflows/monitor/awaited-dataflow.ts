/**
 * The flow of a monitor that provisioning started before the flow existed (its start is then off provisioning's
 * critical path). The dataflow step's activity tells it the flow and every other id; the provisioning tells it
 * when it rolled back instead. A provisioning terminated in between tells neither, so after a while without word
 * the monitor asks Temporal how that provisioning went, and asks again while it is still running.
 */
import { condition } from '@temporalio/workflow';
import type { DataflowMade, ProvisioningRolledBack } from '../../contracts/monitor-messages';
import type { DataflowIds, DataflowSchedule } from '../../contracts/dataflow-types';
import { activities } from './monitor-activities';

/** Long enough for the dataflow step's retry window (10 minutes by default) and its rollback to begin. */
const defaultLimitMs = 15 * 60_000;

/** The flow's id, or every id of the dataflow; or why there is none. */
export type AwaitedOutcome = { flowId: string; ids?: DataflowIds; schedule: DataflowSchedule } | { rolledBack: string };

export class AwaitedDataflow {
  private made: DataflowMade | undefined;
  private rolledBackFor: string | undefined;

  constructor(
    /** The provisioning workflow whose word counts: a re-provision of the same dataflow has the same id. */
    private readonly provisioningWorkflowId: string,
    private readonly limitMs = defaultLimitMs,
  ) {}

  /** Whether that provisioning said it rolled back (possibly after the flow was made: a cancel during its create). */
  get rolledBack(): string | undefined {
    return this.rolledBackFor;
  }

  receiveMade(made: DataflowMade): void {
    if (made.provisioningWorkflowId === this.provisioningWorkflowId) this.made ??= made;
  }

  receiveRolledBack(word: ProvisioningRolledBack): void {
    if (word.provisioningWorkflowId === this.provisioningWorkflowId) this.rolledBackFor ??= word.reason;
  }

  /** Waits for the flow, or for the word that there is none. */
  async outcome(): Promise<AwaitedOutcome> {
    for (;;) {
      await condition(() => this.made !== undefined || this.rolledBackFor !== undefined, this.limitMs);
      if (this.rolledBackFor !== undefined) return { rolledBack: this.rolledBackFor };
      if (this.made) return this.made;
      const outcome = await activities.provisioningOutcome.executeWithOptions(
        { startToCloseTimeout: '1m', summary: 'ask how the provisioning that started this monitor went' },
        [{ provisioningWorkflowId: this.provisioningWorkflowId }],
      );
      if (outcome.status === 'succeeded') {
        return { flowId: outcome.ids.flowId, ids: outcome.ids, schedule: outcome.schedule };
      }
      if (outcome.status === 'ended')
        return { rolledBack: `provisioning ${this.provisioningWorkflowId} ${outcome.how}` };
    }
  }
}

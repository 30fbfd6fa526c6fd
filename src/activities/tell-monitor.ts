/**
 * Tells the monitor that provisioning started beside the dataflow's create which flow it watches, from the create's
 * activity as soon as the flow exists: the provisioning then closes one workflow task after the create, instead
 * of starting the monitor then and waiting for its start. The monitor's start was asked for in the workflow task
 * that scheduled this activity; should it not have landed yet, it is waited for a little. Not told (false): the
 * provisioning tells it itself.
 */
import { Context, log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { dataflowMadeSignal, type DataflowMade } from '../contracts/monitor-messages';

const attempts = 20;
const pauseMs = 250;

export async function tellMonitorItsDataflow(
  client: Client,
  monitorWorkflowId: string,
  made: DataflowMade,
): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.workflow.getHandle(monitorWorkflowId).signal(dataflowMadeSignal, made);
      return true;
    } catch (error) {
      const notThereYet = error instanceof WorkflowNotFoundError && attempt < attempts;
      if (!notThereYet) {
        log.warn('could not tell the monitor its flow; provisioning tells it', {
          monitorWorkflowId,
          reason: error instanceof Error ? error.message : String(error),
        });
        return false;
      }
      await Context.current().sleep(pauseMs);
    }
  }
}

/**
 * Raising an alert: give the draft its stable id (so a redelivered webhook is recognised), send it through the
 * sendAlert activity (webhook, or the log when there is none), and remember it as the last alert. A webhook that
 * keeps failing never stops the monitor: the failure is logged and recorded.
 */
import { log } from '@temporalio/workflow';
import { activities, alertOptions } from './monitor-activities';
import { failureMessage } from './monitor-context';
import type { AlertDraft } from './run-tracking';
import type { Alert, MonitorState } from '../../contracts/monitor-state';

/** Sends an alert (webhook or log) and records it as the last alert: raiseAlert bound to one monitor. */
export type RaiseAlert = (draft: AlertDraft) => Promise<void>;

export async function raiseAlert(state: MonitorState, workflowId: string, draft: AlertDraft): Promise<void> {
  const { dataflow } = state;
  const alert: Alert = {
    id: `${workflowId}:${draft.kind}:${draft.discriminator}`,
    kind: draft.kind,
    severity: draft.severity,
    workflowId,
    sandbox: dataflow.sandbox,
    dataflow: dataflow.name,
    flowId: dataflow.ids.flowId,
    message: `${dataflow.sandbox}/${dataflow.name}: ${draft.message}`,
    raisedAt: new Date(Date.now()).toISOString(),
    details: draft.details,
  };
  let delivery: 'webhook' | 'log' | 'failed';
  try {
    ({ delivery } = await activities.sendAlert.executeWithOptions(
      { ...alertOptions, summary: `alert: ${draft.kind}` },
      [{ alert, ...(dataflow.alerts?.webhookUrl ? { webhookUrl: dataflow.alerts.webhookUrl } : {}) }],
    ));
  } catch (error) {
    delivery = 'failed';
    log.error('alert could not be delivered to the webhook', { alertId: alert.id, reason: failureMessage(error) });
  }
  state.lastAlert = {
    id: alert.id,
    kind: alert.kind,
    severity: alert.severity,
    message: alert.message,
    raisedAt: alert.raisedAt,
    delivery,
  };
}

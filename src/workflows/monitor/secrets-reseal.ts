/**
 * Before continuing as new, the carried secrets (OneTrust token, client secret, alert webhook URL) move to the
 * worker's newest key, so a rotated-out key can be retired once every monitor has continued as new. A failure keeps
 * the old sealing and the monitor carries on; since a failure means a key cannot be retired yet (or, when the key is
 * already gone, that rotation, minting and alerts will fail), it is alerted once and shown in the status until a
 * re-seal works.
 */
import { log, patched } from '@temporalio/workflow';
import type { RaiseAlert } from './alerting';
import { activities } from './monitor-activities';
import { failureMessage, isoNow } from './monitor-context';
import type { MonitorState } from '../../contracts/monitor-state';

/** Monitors that re-sealed before this only logged a failure: they replay without the alert. */
export const resealTroubleAlertPatch = 'alert-when-secrets-reseal-fails';

export async function resealCarriedSecrets(state: MonitorState, raise: RaiseAlert): Promise<void> {
  try {
    const { dataflow } = await activities.resealDataflowSecrets.executeWithOptions(
      { summary: 're-seal the carried secrets with the newest key' },
      [{ dataflow: state.dataflow }],
    );
    state.dataflow = dataflow;
    if (state.resealTrouble) {
      log.info('re-sealed the secrets with the newest key again', { since: state.resealTrouble.since });
      delete state.resealTrouble;
    }
  } catch (error) {
    const problem = failureMessage(error);
    log.warn('could not re-seal the secrets with the newest key; they keep their current sealing', {
      reason: problem,
    });
    if (!patched(resealTroubleAlertPatch)) return;
    // Every continue-as-new tries again: the same problem is said once, not once per generation.
    if (state.resealTrouble?.problem === problem) return;
    state.resealTrouble = { problem, since: isoNow() };
    await raise({
      kind: 'secrets-reseal-failed',
      severity: 'critical',
      discriminator: state.resealTrouble.since,
      message: problem,
      details: {},
    });
  }
}

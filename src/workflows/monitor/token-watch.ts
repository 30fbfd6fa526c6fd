/**
 * The token's calendar, acted on: queue an automatic rotation when one is due, warn at each lead time (once per
 * token), and say once that the token has expired. When to do each is decided by token-schedule.ts.
 */
import type { RaiseAlert } from './alerting';
import { describeDuration } from '../../contracts/durations';
import type { MonitorAction, MonitorState, WorkItem } from '../../contracts/monitor-state';
import {
  autoRotationDueAt,
  canRotateAutomatically,
  dueWarning,
  isTokenExpired,
  tokenWarningLeads,
  warningsSuppressed,
} from '../../contracts/token-schedule';

export async function attendToToken(
  state: MonitorState,
  enqueue: (action: MonitorAction, source: WorkItem['source']) => WorkItem,
  raise: RaiseAlert,
): Promise<void> {
  const now = Date.now();
  const leadTimes = tokenWarningLeads(state.dataflow);
  const automatic = canRotateAutomatically(state.dataflow);
  if (automatic && now >= autoRotationDueAt(state.token, leadTimes)) {
    if (!state.queue.some((item) => item.action.kind === 'autoRotateToken')) {
      enqueue({ kind: 'autoRotateToken' }, 'monitor');
    }
  }
  const warning = warningsSuppressed(state.token, automatic) ? undefined : dueWarning(state.token, leadTimes, now);
  if (warning) {
    state.token.warningsSent.push(...warning.passed);
    const remaining = Date.parse(state.token.expiresAt) - now;
    await raise({
      kind: 'token-expiring',
      severity: 'warning',
      discriminator: `${state.token.expiresAt}:${warning.lead.text}`,
      message: `the OneTrust token expires in ${describeDuration(remaining)} (${state.token.expiresAt}); rotate it before then`,
      details: { tokenExpiresAt: state.token.expiresAt, leadTime: warning.lead.text },
    });
  }
  if (isTokenExpired(state.token, now) && !state.token.expiredAlerted) {
    state.token.expiredAlerted = true;
    await raise({
      kind: 'token-expired',
      severity: 'critical',
      discriminator: state.token.expiresAt,
      message: `the OneTrust token expired at ${state.token.expiresAt}: every run fails until a new token is rotated in`,
      details: { tokenExpiresAt: state.token.expiresAt },
    });
  }
}

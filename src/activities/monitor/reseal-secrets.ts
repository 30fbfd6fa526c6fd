/**
 * Re-seals the secrets a monitor carries with the worker's newest key, before it continues as new: after a key
 * rotation, running monitors move their secrets off the old key within one continue-as-new, so the old private key
 * can be retired (README, Secrets). What is already sealed with the newest key comes back as it was; a plain
 * string (an alert URL from an older release) is sealed for the first time.
 */
import { ApplicationFailure } from '@temporalio/common';
import { SecretKeyMissingError, splitSealedSecret, type SealedSecret } from '../../secrets';
import type { DataflowDescriptor } from '../../contracts/dataflow-types';
import { failureTypes, openSealedSecret, type AepFailureDetails } from '../aep-failure';
import type { ResealSecretsResult } from '../../contracts/monitor-activities';
import type { ActivityDependencies } from '../dependencies';

const step = 're-seal with the newest key';

export function createResealActivities({ secrets }: ActivityDependencies) {
  return {
    resealDataflowSecrets(input: { dataflow: DataflowDescriptor }): Promise<ResealSecretsResult> {
      // A promise, for the activity interface; the work itself is synchronous (and may throw, failing the activity).
      return new Promise((resolve) => resolve(resealWith(secrets, input.dataflow)));
    },
  };
}

/** Pure work, no I/O: opening and sealing happen in this process. */
function resealWith(secrets: ActivityDependencies['secrets'], original: DataflowDescriptor): ResealSecretsResult {
  let resealed = 0;
  const withNewestKey = (secret: SealedSecret | string, what: string): SealedSecret => {
    if (typeof secret !== 'string' && splitSealedSecret(secret)?.keyId === secrets.keyId) return secret;
    resealed += 1;
    const plaintext = typeof secret === 'string' ? secret : openOrExplain(secrets, secret, what);
    return secrets.seal(plaintext);
  };
  const { oneTrust, alerts } = original;
  const dataflow: DataflowDescriptor = {
    ...original,
    oneTrust: {
      ...oneTrust,
      token: withNewestKey(oneTrust.token, 'OneTrust token'),
      ...(oneTrust.clientCredentials
        ? {
            clientCredentials: {
              ...oneTrust.clientCredentials,
              clientSecret: withNewestKey(oneTrust.clientCredentials.clientSecret, 'OneTrust client secret'),
            },
          }
        : {}),
    },
    ...(alerts ? { alerts: { webhookUrl: withNewestKey(alerts.webhookUrl, 'alert webhook URL') } } : {}),
  };
  return { dataflow, resealed };
}

/**
 * A value sealed with a key this worker no longer holds (retired too early, or a worker started with an older
 * keyring): the failure names the value, the key, and what brings it back. Never retried: the keyring is read at
 * start, so only a restart with that key can open it.
 */
function openOrExplain(secrets: ActivityDependencies['secrets'], secret: SealedSecret, what: string): string {
  try {
    return secrets.open(secret);
  } catch (error) {
    if (!(error instanceof SecretKeyMissingError)) return openSealedSecret(secrets, secret, step);
    const legacy = splitSealedSecret(secret)?.version === 'v1';
    const held = error.heldKeyIds.length > 0 ? `it holds ${error.heldKeyIds.join(', ')}` : 'it holds no keyring key';
    const putBack = legacy
      ? `give every worker the legacy key ${error.keyId} again (DATAFLOW_SECRETS_KEY_FILE)`
      : `put key ${error.keyId}'s private key back into every worker's keyring (DATAFLOW_SECRETS_KEYRING_FILE, ` +
        'from its backup)';
    const details: AepFailureDetails = {
      step,
      detail:
        `the ${what} is sealed with key ${error.keyId}, which this worker's keyring does not hold (${held}): ` +
        `${putBack} and restart the workers; the next continue-as-new re-seals it with ${secrets.keyId}, and ` +
        `only then can ${error.keyId} be removed`,
    };
    throw ApplicationFailure.create({
      message: `${step}: ${details.detail}`,
      type: failureTypes.sealedSecretUnreadable,
      nonRetryable: true,
      details: [details],
    });
  }
}

/**
 * Re-seals the secrets a monitor carries with the worker's newest key, before it continues as new: after a key
 * rotation, running monitors move their secrets off the old key within one continue-as-new, so the old private key
 * can be retired (README, Secrets). What is already sealed with the newest key comes back as it was; a plain
 * string (an alert URL from an older release) is sealed for the first time.
 */
import { splitSealedSecret, type SealedSecret } from '../../secrets';
import type { DataflowDescriptor } from '../../workflows/dataflow-types';
import { openSealedSecret } from '../aep-failure';
import type { ActivityDependencies } from '../dependencies';

export interface ResealSecretsResult {
  dataflow: DataflowDescriptor;
  /** How many values were sealed anew. */
  resealed: number;
}

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
  const withNewestKey = (secret: SealedSecret | string): SealedSecret => {
    if (typeof secret !== 'string' && splitSealedSecret(secret)?.keyId === secrets.keyId) return secret;
    resealed += 1;
    const plaintext =
      typeof secret === 'string' ? secret : openSealedSecret(secrets, secret, 're-seal with the newest key');
    return secrets.seal(plaintext);
  };
  const { oneTrust, alerts } = original;
  const dataflow: DataflowDescriptor = {
    ...original,
    oneTrust: {
      ...oneTrust,
      token: withNewestKey(oneTrust.token),
      ...(oneTrust.clientCredentials
        ? {
            clientCredentials: {
              ...oneTrust.clientCredentials,
              clientSecret: withNewestKey(oneTrust.clientCredentials.clientSecret),
            },
          }
        : {}),
    },
    ...(alerts ? { alerts: { webhookUrl: withNewestKey(alerts.webhookUrl) } } : {}),
  };
  return { dataflow, resealed };
}

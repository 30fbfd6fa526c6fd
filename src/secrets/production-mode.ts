/**
 * NODE_ENV=production (the Docker image sets it) means no key is ever created on the fly: a key made silently
 * on one machine would seal tokens nobody else can open, and be lost with that machine.
 */
export function isProductionEnvironment(env: NodeJS.ProcessEnv): boolean {
  return env.NODE_ENV?.trim() === 'production';
}

/** Names the variable that lets a production worker run on the legacy shared key alone, while it moves over. */
export const sharedKeyMigrationVariable = 'DATAFLOW_SECRETS_MIGRATING';

/**
 * A production worker holding only the legacy shared key is a deployment that has not moved to a keyring: its CLI
 * must then hold the same key, which opens every token. It starts only when told it is moving over.
 */
export function isMigratingFromSharedKey(env: NodeJS.ProcessEnv): boolean {
  return env[sharedKeyMigrationVariable]?.trim() === '1';
}

/** For the refusal to start on the shared key alone: how to move to a keyring, and how to say "not yet". */
export function sharedKeyAloneInProductionMessage(): string {
  return (
    'only the legacy shared key (DATAFLOW_SECRETS_KEY_FILE or DATAFLOW_SECRETS_KEY) is configured, and ' +
    'NODE_ENV=production needs a keyring, so that the CLI holds only a public key. To migrate: create a keyring ' +
    'once with `npm run secrets -- create-key --keyring /path/keyring.json`, start the worker with both ' +
    'DATAFLOW_SECRETS_KEYRING_FILE=/path/keyring.json and the shared key (it keeps opening the tokens the shared ' +
    'key sealed), then give the CLI only the public key (`npm run secrets -- public-key --keyring ' +
    '/path/keyring.json --out /path/public.key`, DATAFLOW_SECRETS_PUBLIC_KEY_FILE=/path/public.key). To run on ' +
    `the shared key alone while migrating, set ${sharedKeyMigrationVariable}=1.`
  );
}

/** How to give a process its key, for the refusal to start without one. */
export function missingKeyInProductionMessage(side: 'worker' | 'CLI'): string {
  const setUp =
    side === 'worker'
      ? 'give the worker its keyring: DATAFLOW_SECRETS_KEYRING_FILE=/path/keyring.json (or the JSON itself in ' +
        'DATAFLOW_SECRETS_KEYRING)'
      : "give the CLI the worker's public key: DATAFLOW_SECRETS_PUBLIC_KEY_FILE=/path/public.key (written by " +
        '`npm run secrets -- public-key --keyring /path/keyring.json --out /path/public.key`) or ' +
        'DATAFLOW_SECRETS_PUBLIC_KEY=x25519:…';
  const legacyNote =
    side === 'worker'
      ? 'A deployment moving from the legacy shared key gives the worker DATAFLOW_SECRETS_KEY_FILE beside the ' +
        `keyring (alone, only with ${sharedKeyMigrationVariable}=1).`
      : 'A deployment still on the legacy shared key sets DATAFLOW_SECRETS_KEY_FILE instead.';
  return (
    `no secrets key configured, and NODE_ENV=production never creates one. Create a keyring once with ` +
    '`npm run secrets -- create-key --keyring /path/keyring.json` (keep it, and a backup, where only the worker ' +
    `can read it), then ${setUp}. ${legacyNote}`
  );
}

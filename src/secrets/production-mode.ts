/**
 * NODE_ENV=production (the Docker image sets it) means no key is ever created on the fly: a key made silently
 * on one machine would seal tokens nobody else can open, and be lost with that machine.
 */
export function isProductionEnvironment(env: NodeJS.ProcessEnv): boolean {
  return env.NODE_ENV?.trim() === 'production';
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
  return (
    `no secrets key configured, and NODE_ENV=production never creates one. Create a keyring once with ` +
    '`npm run secrets -- create-key --keyring /path/keyring.json` (keep it, and a backup, where only the worker ' +
    `can read it), then ${setUp}. A deployment still on the legacy shared key sets DATAFLOW_SECRETS_KEY_FILE instead.`
  );
}

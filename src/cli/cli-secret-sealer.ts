/** The key the CLI seals with (see src/secrets/load-secret-sealer.ts), saying so on stderr when it had to create one. */
import { loadSecretSealer, type SecretSealer } from '../secrets';
import type { CommandIo } from '../runtime/command-io';

export function loadCliSecretSealer(io: CommandIo): SecretSealer {
  return loadSecretSealer(io.env, {
    onDevelopmentKeyringCreated: (path, keyId) =>
      io.err(`Created the development secrets keyring ${path} (key ${keyId}); a local worker uses it too.`),
  });
}

/** Sealed secrets: workflow code may import only the types from here. */
export type { SealedSecret } from '../contracts/sealed-secret';
export { isSealedSecret, splitSealedSecret } from '../contracts/sealed-secret';
export type { SecretBox, SecretSealer } from './secret-box';
export { SecretBoxError, SecretKeyMissingError } from './secret-box';
export { createSecretBox } from './legacy-secret-box';
export { createPublicKeySealer } from './public-key-sealing';
export { createKeyringSecretBox, type KeyringSecretBox } from './keyring-secret-box';
export { generateSecretsKeyPair, encodePublicKey, type SecretsKeyPair } from './secrets-key-pair';
export { loadSecretBox } from './load-secret-box';
export { loadSecretSealer } from './load-secret-sealer';
export { developmentKeyringFile } from './development-keys';
export { isProductionEnvironment, sharedKeyMigrationVariable } from './production-mode';

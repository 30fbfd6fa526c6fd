/** Sealed secrets: workflow code may import only the types from here. */
export type { SealedSecret } from './sealed-secret';
export { isSealedSecret } from './sealed-secret';
export type { SecretBox } from './secret-box';
export { createSecretBox, SecretBoxError } from './secret-box';
export { loadSecretBox, defaultSecretsKeyFile } from './load-secret-box';

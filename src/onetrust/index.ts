/** The OneTrust side of the product: minting client-credentials tokens and reading when they expire. */
export { requestOneTrustToken } from './token-client';
export type { OneTrustToken, OneTrustTokenRequest } from './token-client';
export { readJwtExpiry } from './jwt-expiry';
export { OneTrustError } from './onetrust-error';

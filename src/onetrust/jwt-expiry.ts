/**
 * OneTrust access tokens are JWTs; their `exp` claim says when AEP will stop being able to use them.
 * We only read the claim (no signature check): it decides when to rotate, not whether to trust the token.
 */
export function readJwtExpiry(token: string): Date | undefined {
  const payloadSegment = token.split('.')[1];
  if (payloadSegment === undefined || payloadSegment === '') return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadSegment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || !('exp' in payload)) return undefined;
  const expiry = Number(payload.exp);
  if (!Number.isFinite(expiry) || expiry <= 0) return undefined;
  return new Date(expiry * 1000);
}

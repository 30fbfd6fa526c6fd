/**
 * Checks the two I/O Events digital signatures of a delivery (adobe-io-events guides/index.md, "Security
 * Considerations", and guides/sdk/sdk-signature-verification.md): x-adobe-digital-signature-1 and -2 are base64
 * RSA-SHA256 signatures of the raw body, made with the keys whose relative paths are in x-adobe-public-key1-path and
 * x-adobe-public-key2-path. The delivery is genuine when either signature verifies with a key from the key host.
 * Any key path that would leave the key host refuses the delivery outright.
 */
import { verify } from 'node:crypto';
import type { PublicKeyCache } from './public-key-cache';
import { KeyPathRefusedError, publicKeyUrl } from './public-key-url';

export const signatureHeaders = [
  { signature: 'x-adobe-digital-signature-1', keyPath: 'x-adobe-public-key1-path' },
  { signature: 'x-adobe-digital-signature-2', keyPath: 'x-adobe-public-key2-path' },
] as const;

export type SignatureCheck = { verified: true } | { verified: false; reason: string };

type Headers = Record<string, string | string[] | undefined>;

export class SignatureVerifier {
  constructor(
    private readonly keyHost: URL,
    private readonly keys: PublicKeyCache,
  ) {}

  /** Throws KeyHostUnavailableError when a key cannot be fetched for a reason that may pass. */
  async verify(rawBody: Buffer, headers: Headers): Promise<SignatureCheck> {
    const pairs = signatureHeaders.flatMap(({ signature, keyPath }) => {
      const signatureValue = single(headers[signature]);
      const path = single(headers[keyPath]);
      return signatureValue !== undefined && path !== undefined ? [{ signature: signatureValue, path, keyPath }] : [];
    });
    if (pairs.length === 0) return { verified: false, reason: 'no digital signature with its public key path' };

    const located: Array<{ signature: string; url: URL }> = [];
    for (const pair of pairs) {
      try {
        located.push({ signature: pair.signature, url: publicKeyUrl(this.keyHost, pair.path) });
      } catch (error) {
        if (error instanceof KeyPathRefusedError)
          return { verified: false, reason: `${pair.keyPath}: ${error.message}` };
        throw error;
      }
    }
    for (const { signature, url } of located) {
      const key = await this.keys.publicKey(url);
      if (key === undefined) continue;
      try {
        if (verify('sha256', rawBody, key, Buffer.from(signature, 'base64'))) return { verified: true };
      } catch {
        // A key that is not an RSA key, or a signature of the wrong size: this pair does not verify.
      }
    }
    return { verified: false, reason: 'no signature verifies with the public keys on the key host' };
  }
}

function single(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/**
 * Checks the two I/O Events digital signatures of a delivery (adobe-io-events guides/index.md, "Security
 * Considerations", and guides/sdk/sdk-signature-verification.md): x-adobe-digital-signature-1 and -2 are base64
 * RSA-SHA256 signatures of the raw body, made with the keys whose relative paths are in x-adobe-public-key1-path and
 * x-adobe-public-key2-path. The delivery is genuine when either signature verifies with a key from the key host:
 * both are tried at once, and trouble with one key (refused path, missing key, key host failing) does not fail a
 * delivery whose other signature verifies. A key path not of the documented shape is never fetched.
 */
import { verify } from 'node:crypto';
import { KeyHostUnavailableError, type PublicKeyCache } from './public-key-cache';
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
    /** Told of each key path refused without a fetch (the receiver counts them). */
    private readonly onRefusedKeyPath: (header: string, reason: string) => void = () => undefined,
  ) {}

  /**
   * Throws KeyHostUnavailableError when no signature verified and a key could not be fetched for a reason that may
   * pass; throws the signal's reason once it aborts.
   */
  async verify(rawBody: Buffer, headers: Headers, signal?: AbortSignal): Promise<SignatureCheck> {
    const pairs = signatureHeaders.flatMap(({ signature, keyPath }) => {
      const signatureValue = single(headers[signature]);
      const path = single(headers[keyPath]);
      return signatureValue !== undefined && path !== undefined ? [{ signature: signatureValue, path, keyPath }] : [];
    });
    if (pairs.length === 0) return { verified: false, reason: 'no digital signature with its public key path' };

    const located: Array<{ signature: string; url: URL }> = [];
    const refusals: string[] = [];
    for (const pair of pairs) {
      try {
        located.push({ signature: pair.signature, url: publicKeyUrl(this.keyHost, pair.path) });
      } catch (error) {
        if (!(error instanceof KeyPathRefusedError)) throw error;
        this.onRefusedKeyPath(pair.keyPath, error.message);
        refusals.push(`${pair.keyPath}: ${error.message}`);
      }
    }
    if (located.length === 0) return { verified: false, reason: refusals.join('; ') };

    const outcomes = await firstVerified(located.map((pair) => this.verifiesWith(rawBody, pair, signal)));
    if (outcomes === 'verified') return { verified: true };
    signal?.throwIfAborted();
    const unavailable = outcomes.find((outcome) => outcome instanceof KeyHostUnavailableError);
    if (unavailable) throw unavailable;
    const unexpected = outcomes.find((outcome) => outcome instanceof Error);
    if (unexpected) throw unexpected;
    return { verified: false, reason: 'no signature verifies with the public keys on the key host' };
  }

  private async verifiesWith(
    rawBody: Buffer,
    pair: { signature: string; url: URL },
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const key = await this.keys.publicKey(pair.url, signal);
    if (key === undefined) return false;
    let verified = false;
    try {
      verified = verify('sha256', rawBody, key, Buffer.from(pair.signature, 'base64'));
    } catch {
      // A key that is not an RSA key, or a signature of the wrong size: this pair does not verify.
    }
    if (verified) this.keys.markVerified(pair.url);
    return verified;
  }
}

/** 'verified' as soon as one check verifies; otherwise, once all ended, each one's false or error. */
function firstVerified(checks: Array<Promise<boolean>>): Promise<'verified' | Array<boolean | Error>> {
  return new Promise((resolve) => {
    const outcomes: Array<boolean | Error> = [];
    let ended = 0;
    checks.forEach((check, index) => {
      void check
        .then(
          (verified) => {
            if (verified) resolve('verified');
            outcomes[index] = verified;
          },
          (error: unknown) => {
            outcomes[index] = error instanceof Error ? error : new Error(String(error));
          },
        )
        .finally(() => {
          ended += 1;
          if (ended === checks.length) resolve(outcomes);
        });
    });
  });
}

function single(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

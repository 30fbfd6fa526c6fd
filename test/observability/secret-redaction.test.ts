import assert from 'node:assert/strict';
import { createSecretRedactor, redactedMarker } from '../../src/observability/secret-redaction';

/** Built at run time so no credential-looking literal sits in the repository. */
function jwtLikeToken(): string {
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment({ sub: 'client', exp: 1_900_000_000 })}.c2lnbmF0dXJlLWJ5dGVz`;
}

describe('secret redaction in log output', () => {
  const redactor = createSecretRedactor({ knownSecrets: ['aep-client-secret-value-123', 'short', undefined] });

  it('masks values under credential-named keys, however the key is spelled, at any depth', () => {
    const redacted = redactor.redact({
      token: 'opaque-token',
      accessToken: 'opaque-2',
      access_token: 'opaque-3',
      clientSecret: { sealed: 'v1.key.iv.cipher' },
      headers: { Authorization: 'anything at all', 'x-api-key': 'public-client-id' },
      nested: [{ password: 'hunter2' }],
      tokenExpiresAt: '2027-01-01T00:00:00.000Z',
      taskToken: 'CiQwMWEy...',
    });
    assert.deepEqual(redacted, {
      token: redactedMarker,
      accessToken: redactedMarker,
      access_token: redactedMarker,
      clientSecret: redactedMarker,
      headers: { Authorization: redactedMarker, 'x-api-key': 'public-client-id' },
      nested: [{ password: redactedMarker }],
      tokenExpiresAt: '2027-01-01T00:00:00.000Z',
      taskToken: redactedMarker,
    });
  });

  it('replaces JWT-shaped strings and Bearer values inside free text', () => {
    const token = jwtLikeToken();
    const text = redactor.redactText(`explore failed for ${token}; sent Authorization: Bearer abc.def-123 to AEP`);
    assert.ok(!text.includes(token), text);
    assert.ok(!text.includes('abc.def-123'), text);
    assert.match(text, /explore failed for \[REDACTED\]; sent Authorization: Bearer \[REDACTED\] to AEP/);
  });

  it('masks secrets written as assignments in form bodies, URLs and JSON fragments', () => {
    const text = redactor.redactText(
      'body grant_type=client_credentials&client_secret=s3cr3t-v4lue&client_id=abc; json {"password":"p4ss"}',
    );
    assert.ok(!text.includes('s3cr3t-v4lue') && !text.includes('p4ss'), text);
    assert.ok(text.includes('client_id=abc'), 'non-secret fields stay readable');
  });

  it('scrubs the values the process knows to be secret, but not short ones that would match ordinary words', () => {
    const text = redactor.redactText('IMS refused aep-client-secret-value-123 (a short word stays)');
    assert.equal(text, `IMS refused ${redactedMarker} (a short word stays)`);
  });

  it('scrubs a secret learned after start-up, such as a client secret read from a file', () => {
    const later = createSecretRedactor();
    assert.match(later.redactText('refused file-held-secret-0042'), /file-held-secret-0042/);
    later.addKnownSecret('file-held-secret-0042');
    assert.equal(later.redactText('refused file-held-secret-0042'), `refused ${redactedMarker}`);
  });

  it('turns errors into readable objects with redacted message, stack and cause', () => {
    const token = jwtLikeToken();
    const cause = new Error(`OneTrust answered 401 for ${token}`);
    const error = new Error('explore preview failed', { cause });
    const redacted = redactor.redact({ error }) as { error: Record<string, unknown> };
    const printed = JSON.stringify(redacted);
    assert.equal(redacted.error.message, 'explore preview failed');
    assert.equal(
      (redacted.error.cause as Record<string, unknown>).message,
      `OneTrust answered 401 for ${redactedMarker}`,
    );
    assert.ok(!printed.includes(token));
  });

  it('survives circular references, bigints and buffers without throwing', () => {
    const circular: Record<string, unknown> = { name: 'loop', size: 10n, body: Buffer.from('secret bytes') };
    circular.self = circular;
    assert.deepEqual(redactor.redact(circular), {
      name: 'loop',
      size: '10',
      body: '[12 bytes]',
      self: '[Circular]',
    });
  });
});

import assert from 'node:assert/strict';
import { AepError } from '../../src/aep';
import { parseErrorBody, parseRetryAfterMs } from '../../src/aep/errors';

// The bodies below are Adobe's documented examples: the gateway's {error_code, message} and BadRequestError from
// help/landing/troubleshooting.md (aep-contract.md §1), FLOW-1418-400 from help/sources/errors/flow-service-errors.md
// (§2), XDM-1521-400 from help/xdm/troubleshooting-guide.md (§3), the bare errorMessage from the troubleshooting
// guide's "Refresh etag error" (§2); invalid_client is the OAuth 2 code of RFC 6749 §5.2 (IMS errors, §1).
describe('AEP client: error bodies', () => {
  const parse = (body: unknown) => parseErrorBody(body, JSON.stringify(body));

  it('reads the gateway shape {error_code, message}', () => {
    assert.deepEqual(parse({ error_code: '401013', message: 'Oauth token is not valid' }), {
      code: '401013',
      message: 'Oauth token is not valid',
      requestId: undefined,
    });
  });

  it('reads the Flow Service problem shape', () => {
    const parsed = parse({
      type: 'https://ns.adobe.com/aep/errors/FLOW-1418-400',
      title: 'Bad Request',
      status: 400,
      report: { 'detailed-message': 'Connection is used by flows.', 'request-id': 'req-1' },
      errorMessage: 'Connection is used by flows.',
    });
    assert.deepEqual(parsed, { code: 'FLOW-1418-400', message: 'Connection is used by flows.', requestId: 'req-1' });
  });

  it('reads the Schema Registry shape', () => {
    const parsed = parse({
      type: 'http://ns.adobe.com/aep/errors/XDM-1521-400',
      title: 'Title not unique',
      status: 400,
      report: { registryRequestId: 'reg-1', 'detailed-message': 'Object titles must be unique.' },
      detail: 'Object titles must be unique.',
    });
    assert.deepEqual(parsed, { code: 'XDM-1521-400', message: 'Object titles must be unique.', requestId: 'reg-1' });
  });

  it('reads the OAuth shape, the bare errorMessage variant and BadRequestError', () => {
    assert.deepEqual(parse({ error: 'invalid_client', error_description: 'invalid client_secret parameter' }), {
      code: 'invalid_client',
      message: 'invalid client_secret parameter',
      requestId: undefined,
    });
    assert.deepEqual(parse({ errorMessage: 'Supplied version=["a"] does not match the current version' }), {
      code: undefined,
      message: 'Supplied version=["a"] does not match the current version',
      requestId: undefined,
    });
    assert.deepEqual(
      parse({
        type: '/placeholder/type/uri',
        status: 400,
        title: 'BadRequestError',
        detail: 'A valid content-type must be specified',
      }),
      { code: 'BadRequestError', message: 'A valid content-type must be specified', requestId: undefined },
    );
  });

  it('falls back to the raw text for a body that is not JSON', () => {
    assert.deepEqual(parseErrorBody(undefined, '<html>Bad gateway</html>'), {
      code: undefined,
      message: '<html>Bad gateway</html>',
      requestId: undefined,
    });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfterMs('120', now), 120_000);
    assert.equal(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfterMs('soon', now), undefined);
    assert.equal(parseRetryAfterMs(undefined, now), undefined);
  });

  it('reads every HTTP-date form of RFC 9110 as GMT, a past date as no wait, and refuses what is no date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfterMs('Thursday, 01-Jan-26 01:00:00 GMT', now), 3_600_000, 'the obsolete RFC 850 form');
    assert.equal(parseRetryAfterMs('Thu Jan  1 00:00:45 2026', now), 45_000, 'asctime, which names no zone');
    assert.equal(parseRetryAfterMs('Sun, 06 Nov 1994 08:49:37 GMT', now), 0, 'a date in the past: go now');
    assert.equal(parseRetryAfterMs('Sunday, 06-Nov-94 08:49:37 GMT', now), 0, '94 is 1994, not 2094');
    for (const notADate of [
      '-5',
      '2026-01-01T00:01:00Z',
      'Thu, 31 Feb 2026 00:00:00 GMT',
      'Thu, 01 Jan 2026 00:00:30',
    ]) {
      assert.equal(parseRetryAfterMs(notADate, now), undefined, notADate);
    }
  });

  it('formats the message as "<METHOD> <path> failed: HTTP <status> <code>: <message>"', () => {
    const error = new AepError({
      method: 'DELETE',
      path: '/data/foundation/flowservice/connections/abc',
      status: 400,
      code: 'FLOW-1418-400',
      detail: 'Connection is used by flows.',
      requestId: 'req-1',
      retryable: false,
      retryAfterMs: undefined,
    });
    assert.equal(
      error.message,
      'DELETE /data/foundation/flowservice/connections/abc failed: HTTP 400 FLOW-1418-400: Connection is used by flows.',
    );
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'AepError');
  });
});

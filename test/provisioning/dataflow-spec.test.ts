/** The dataflow spec's defaults and its token-expiry rules (the CLI-level refusals are in provision-spec-validation). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { resolveDataflowSpec, SpecError } from '../../src/config';
import { defaultMapping } from '../../src/contracts/default-mapping';

const now = Date.parse('2026-06-01T12:00:00Z');

function jwt(expiresAtSeconds: number): string {
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${segment({ alg: 'HS256' })}.${segment({ exp: expiresAtSeconds })}.signature`;
}

const minimal = {
  name: 'consent',
  sandbox: 'prod',
  onetrust: { accessToken: { env: 'TOKEN' } },
  target: { schemaTitle: 'Consent', datasetName: 'Consent' },
  schedule: { frequency: 'minute', interval: 15 },
};

describe('the dataflow spec', () => {
  it('fills in the defaults: OneTrust host, start a minute from now, the seed mapping, expiry from the JWT', () => {
    const expiry = now / 1000 + 86_400 * 90;
    const spec = resolveDataflowSpec(minimal, { env: { TOKEN: jwt(expiry) }, now });
    assert.equal(spec.oneTrust.baseUrl, 'https://app.onetrust.com');
    assert.equal(spec.schedule.startTime, now / 1000 + 60);
    assert.equal(spec.startTimeIsDefault, true);
    assert.deepEqual(spec.mapping, defaultMapping);
    assert.equal(spec.oneTrust.expiresAt.getTime(), expiry * 1000);
    assert.equal(spec.oneTrust.expirySource, 'jwt');
    assert.equal(JSON.stringify(spec).includes(jwt(expiry)), false, 'the resolved spec never prints its token');
  });

  it('needs expiresAt when the token is not a JWT, and refuses an expired token', () => {
    assert.throws(
      () => resolveDataflowSpec(minimal, { env: { TOKEN: 'opaque-token-value' }, now }),
      (error: unknown) => error instanceof SpecError && error.problems[0]!.field === 'onetrust.expiresAt',
    );
    const withExpiry = { ...minimal, onetrust: { ...minimal.onetrust, expiresAt: '2026-12-31T00:00:00Z' } };
    assert.equal(
      resolveDataflowSpec(withExpiry, { env: { TOKEN: 'opaque-token-value' }, now }).oneTrust.expiresAt.toISOString(),
      '2026-12-31T00:00:00.000Z',
    );
    assert.throws(
      () => resolveDataflowSpec(minimal, { env: { TOKEN: jwt(now / 1000 - 1) }, now }),
      /onetrust\.accessToken: the token expired at/,
    );
  });

  it('refuses an expiresAt later than the JWT’s own exp, and takes an earlier one', () => {
    const exp = now / 1000 + 86_400 * 30;
    const later = {
      ...minimal,
      onetrust: { ...minimal.onetrust, expiresAt: new Date((exp + 86_400) * 1000).toISOString() },
    };
    assert.throws(
      () => resolveDataflowSpec(later, { env: { TOKEN: jwt(exp) }, now }),
      /onetrust\.expiresAt: .* is later than the token's own expiry \(/,
    );
    const earlier = new Date((exp - 86_400) * 1000).toISOString();
    const spec = resolveDataflowSpec(
      { ...minimal, onetrust: { ...minimal.onetrust, expiresAt: earlier } },
      { env: { TOKEN: jwt(exp) }, now },
    );
    assert.equal(spec.oneTrust.expiresAt.toISOString(), earlier);
  });

  it('reads a token from the variable when it is set, else from the file ({env, file}: the example spec)', () => {
    const directory = mkdtempSync(join(tmpdir(), 'spec-token-'));
    writeFileSync(join(directory, 'token.txt'), `${jwt(now / 1000 + 86_400 * 10)}\n`);
    const both = { ...minimal, onetrust: { accessToken: { env: 'TOKEN', file: 'token.txt' } } };
    const fromFile = resolveDataflowSpec(both, { env: {}, now, baseDir: directory });
    assert.equal(fromFile.oneTrust.accessToken.reveal(), jwt(now / 1000 + 86_400 * 10));
    const fromEnv = resolveDataflowSpec(both, { env: { TOKEN: jwt(now / 1000 + 86_400) }, now, baseDir: directory });
    assert.equal(fromEnv.oneTrust.accessToken.reveal(), jwt(now / 1000 + 86_400));
    assert.throws(
      () => resolveDataflowSpec(both, { env: {}, now, baseDir: join(directory, 'elsewhere') }),
      /onetrust\.accessToken: environment variable TOKEN is not set or empty, and cannot read the file .*token\.txt/,
    );
    // The README's `provision examples/dataflow.example.json` works beside the demo: its token is where the demo mints it.
    const examplePath = resolve(__dirname, '../../examples/dataflow.example.json');
    const example = JSON.parse(readFileSync(examplePath, 'utf8')) as { onetrust: { accessToken: { file: string } } };
    assert.equal(
      resolve(dirname(examplePath), example.onetrust.accessToken.file),
      resolve(__dirname, '../../data/onetrust-token.txt'),
    );
  });

  it('takes a once-only schedule without an interval and rejects an unknown field', () => {
    const once = resolveDataflowSpec(
      { ...minimal, schedule: { frequency: 'once', startTime: now / 1000 + 600 } },
      { env: { TOKEN: jwt(now / 1000 + 86_400) }, now },
    );
    assert.deepEqual(once.schedule, { frequency: 'once', startTime: now / 1000 + 600 });
    assert.throws(
      () => resolveDataflowSpec({ ...minimal, schedul: {} }, { env: { TOKEN: jwt(now / 1000 + 86_400) }, now }),
      /unknown field "schedul"/,
    );
  });

  it('takes monitor.pollInterval as the reconcile interval, refusing less than a minute and naming the field', () => {
    const env = { TOKEN: jwt(now / 1000 + 86_400) };
    const kept = resolveDataflowSpec({ ...minimal, monitor: { pollInterval: '15m' } }, { env, now });
    assert.equal(kept.monitor?.pollInterval, '15m', 'a spec written for the polling monitor still validates');
    assert.throws(
      () => resolveDataflowSpec({ ...minimal, monitor: { pollInterval: '30s' } }, { env, now }),
      /monitor\.pollInterval: must be at least 1m/,
    );
  });

  it('reports every problem at once: a missing section or an unknown field does not hide a bad interval', () => {
    const env = { TOKEN: jwt(now / 1000 + 86_400) };
    const problemsOf = (spec: unknown) => {
      try {
        resolveDataflowSpec(spec, { env: {}, now });
      } catch (error) {
        if (error instanceof SpecError) return error.problems.map((problem) => problem.field).sort();
        throw error;
      }
      assert.fail('the spec was taken');
    };
    const { target: _target, ...withoutTarget } = minimal;
    const badInterval = { frequency: 'minute', interval: 5 };
    assert.deepEqual(problemsOf({ ...withoutTarget, schedule: badInterval }), [
      'onetrust.accessToken',
      'schedule.interval',
      'target',
    ]);
    assert.deepEqual(problemsOf({ ...minimal, colour: 'blue', schedule: badInterval }), [
      '',
      'onetrust.accessToken',
      'schedule.interval',
    ]);
    assert.throws(
      () => resolveDataflowSpec({ ...minimal, colour: 'blue', schedule: badInterval }, { env, now }),
      /unknown field "colour"[\s\S]*schedule\.interval: must be ≥ 15 for frequency "minute" \(got 5\)/,
    );
  });
});

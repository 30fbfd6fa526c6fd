import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aepSettingsFromEnv } from '../../src/aep';

describe('AEP client: settings from the environment', () => {
  const required = { AEP_CLIENT_ID: 'client', AEP_CLIENT_SECRET: 'top-secret-value', AEP_ORG_ID: 'ORG@AdobeOrg' };

  it('applies the documented defaults', () => {
    const settings = aepSettingsFromEnv(required);
    assert.deepEqual(settings, {
      platformUrl: 'https://platform.adobe.io',
      imsUrl: 'https://ims-na1.adobelogin.com',
      clientId: 'client',
      clientSecret: 'top-secret-value',
      orgId: 'ORG@AdobeOrg',
      scopes: 'openid,session,AdobeID,read_organizations,additional_info.projectedProductContext',
    });
  });

  it('takes overrides and drops a trailing slash from URLs', () => {
    const settings = aepSettingsFromEnv({
      ...required,
      AEP_PLATFORM_URL: 'http://127.0.0.1:8090/',
      AEP_IMS_URL: 'http://127.0.0.1:8090',
      AEP_SCOPES: 'openid',
    });
    assert.equal(settings.platformUrl, 'http://127.0.0.1:8090');
    assert.equal(settings.scopes, 'openid');
  });

  it('names every missing variable and never prints the secret', () => {
    assert.throws(
      () => aepSettingsFromEnv({ AEP_CLIENT_SECRET: 'top-secret-value', AEP_ORG_ID: '' }),
      (error: Error) => {
        assert.match(error.message, /AEP_CLIENT_ID/);
        assert.match(error.message, /AEP_ORG_ID/);
        assert.doesNotMatch(error.message, /AEP_CLIENT_SECRET/);
        assert.doesNotMatch(error.message, /top-secret-value/);
        return true;
      },
    );
  });

  it('refuses a platform URL that is not a URL', () => {
    assert.throws(() => aepSettingsFromEnv({ ...required, AEP_PLATFORM_URL: 'not a url' }), /AEP_PLATFORM_URL/);
  });

  it('reads the client secret from AEP_CLIENT_SECRET_FILE, and names that variable when the file is missing', () => {
    const secretFile = join(mkdtempSync(join(tmpdir(), 'aep-settings-')), 'client-secret');
    writeFileSync(secretFile, 'secret-from-a-file\n', { mode: 0o600 });
    const { AEP_CLIENT_SECRET: _inline, ...withoutInlineSecret } = required;

    assert.equal(
      aepSettingsFromEnv({ ...withoutInlineSecret, AEP_CLIENT_SECRET_FILE: secretFile }).clientSecret,
      'secret-from-a-file',
    );
    assert.throws(
      () => aepSettingsFromEnv({ ...withoutInlineSecret, AEP_CLIENT_SECRET_FILE: `${secretFile}.missing` }),
      /AEP_CLIENT_SECRET_FILE cannot be read \(ENOENT\)/,
    );
  });
});

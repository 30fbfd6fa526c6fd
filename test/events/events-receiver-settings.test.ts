import assert from 'node:assert/strict';
import { eventsReceiverSettingsFromEnv } from '../../src/events';

describe('events: receiver settings from the environment', () => {
  it('defaults the key host, port and hand-off budget, and the client id to AEP_CLIENT_ID', () => {
    assert.deepEqual(eventsReceiverSettingsFromEnv({ AEP_CLIENT_ID: 'aep-client' }), {
      port: 8091,
      host: '0.0.0.0',
      keyHost: 'https://static.adobeioevents.com',
      clientId: 'aep-client',
      handOffTimeoutMs: 7000,
    });
  });

  it('takes every IO_EVENTS_ variable', () => {
    const settings = eventsReceiverSettingsFromEnv({
      AEP_CLIENT_ID: 'aep-client',
      IO_EVENTS_CLIENT_ID: 'events-client',
      IO_EVENTS_PORT: '9100',
      IO_EVENTS_HOST: '127.0.0.1',
      IO_EVENTS_KEY_HOST: 'http://127.0.0.1:8090/',
      IO_EVENTS_HANDOFF_TIMEOUT_MS: '2500',
    });
    assert.deepEqual(settings, {
      port: 9100,
      host: '127.0.0.1',
      keyHost: 'http://127.0.0.1:8090',
      clientId: 'events-client',
      handOffTimeoutMs: 2500,
    });
  });

  it('names the variable that is missing or malformed', () => {
    assert.throws(() => eventsReceiverSettingsFromEnv({}), /IO_EVENTS_CLIENT_ID \(or AEP_CLIENT_ID\) is required/);
    const env = { AEP_CLIENT_ID: 'c' };
    assert.throws(
      () => eventsReceiverSettingsFromEnv({ ...env, IO_EVENTS_PORT: 'http' }),
      /IO_EVENTS_PORT must be an integer/,
    );
    assert.throws(
      () => eventsReceiverSettingsFromEnv({ ...env, IO_EVENTS_KEY_HOST: 'ftp://x' }),
      /IO_EVENTS_KEY_HOST must be/,
    );
    assert.throws(
      () => eventsReceiverSettingsFromEnv({ ...env, IO_EVENTS_HANDOFF_TIMEOUT_MS: '20000' }),
      /IO_EVENTS_HANDOFF_TIMEOUT_MS must be an integer from 1 to 9000/,
    );
  });
});

import assert from 'node:assert/strict';
import { eventsReceiverSettingsFromEnv } from '../../src/events';

describe('events: receiver settings from the environment', () => {
  it('defaults the key host, port and delivery deadline, and the client id to AEP_CLIENT_ID', () => {
    assert.deepEqual(eventsReceiverSettingsFromEnv({ AEP_CLIENT_ID: 'aep-client', AEP_ORG_ID: 'org@AdobeOrg' }), {
      port: 8091,
      host: '0.0.0.0',
      keyHost: 'https://static.adobeioevents.com',
      clientId: 'aep-client',
      orgId: 'org@AdobeOrg',
      deadlineMs: 7000,
      gatherMs: 1000,
    });
  });

  it('takes every IO_EVENTS_ variable', () => {
    const settings = eventsReceiverSettingsFromEnv({
      AEP_CLIENT_ID: 'aep-client',
      AEP_ORG_ID: 'org@AdobeOrg',
      RUN_FEED_INTERVAL: '2m',
      IO_EVENTS_CLIENT_ID: 'events-client',
      IO_EVENTS_PORT: '9100',
      IO_EVENTS_HOST: '127.0.0.1',
      IO_EVENTS_KEY_HOST: 'http://127.0.0.1:8090/',
      IO_EVENTS_HANDOFF_TIMEOUT_MS: '2500',
      IO_EVENTS_GATHER_MS: '250',
    });
    assert.deepEqual(settings, {
      port: 9100,
      host: '127.0.0.1',
      keyHost: 'http://127.0.0.1:8090',
      clientId: 'events-client',
      orgId: 'org@AdobeOrg',
      deadlineMs: 2500,
      gatherMs: 250,
      runFeedIntervalMs: 120_000,
    });
  });

  it('names the variable that is missing or malformed', () => {
    assert.throws(() => eventsReceiverSettingsFromEnv({}), /IO_EVENTS_CLIENT_ID \(or AEP_CLIENT_ID\) is required/);
    assert.throws(() => eventsReceiverSettingsFromEnv({ AEP_CLIENT_ID: 'c' }), /AEP_ORG_ID is required/);
    const env = { AEP_CLIENT_ID: 'c', AEP_ORG_ID: 'o' };
    assert.throws(
      () => eventsReceiverSettingsFromEnv({ ...env, RUN_FEED_INTERVAL: 'often' }),
      /RUN_FEED_INTERVAL must be a duration of at least 1s/,
    );
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
    assert.throws(
      () => eventsReceiverSettingsFromEnv({ ...env, IO_EVENTS_GATHER_MS: '5000' }),
      /IO_EVENTS_GATHER_MS must be an integer from 0 to 3000/,
    );
    assert.throws(
      () => eventsReceiverSettingsFromEnv({ ...env, IO_EVENTS_HANDOFF_TIMEOUT_MS: '1500' }),
      /IO_EVENTS_GATHER_MS \(1000\) must be at most half of IO_EVENTS_HANDOFF_TIMEOUT_MS \(1500\)/,
    );
  });
});

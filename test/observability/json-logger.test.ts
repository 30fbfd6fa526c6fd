import assert from 'node:assert/strict';
import { createJsonLogger, parseLogLevel } from '../../src/observability/json-logger';
import { createSecretRedactor } from '../../src/observability/secret-redaction';

describe('structured JSON logging', () => {
  function captureLogger(level: 'INFO' | 'WARN' = 'INFO') {
    const lines: string[] = [];
    const logger = createJsonLogger({
      level,
      redactor: createSecretRedactor({ knownSecrets: ['known-secret-value'] }),
      writeLine: (line) => lines.push(line),
    });
    return { logger, lines };
  }

  it('writes one JSON object per line with time, level, message and the Temporal context', () => {
    const { logger, lines } = captureLogger();
    logger.info('Activity completed', {
      workflowId: 'provision:prod:consents',
      runId: 'run-1',
      activityType: 'createBaseConnection',
      taskQueue: 'onetrust-dataflows',
      attempt: 1,
      durationMs: 12,
    });
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(entry.level, 'info');
    assert.equal(entry.message, 'Activity completed');
    assert.ok(!Number.isNaN(Date.parse(String(entry.time))), 'time is an ISO timestamp');
    assert.equal(entry.workflowId, 'provision:prod:consents');
    assert.equal(entry.activityType, 'createBaseConnection');
    assert.equal(entry.taskQueue, 'onetrust-dataflows');
    assert.deepEqual(Object.keys(entry).slice(0, 3), ['time', 'level', 'message']);
  });

  it('never prints a secret, neither in the message nor in the context', () => {
    const { logger, lines } = captureLogger();
    logger.error('IMS token request failed with known-secret-value', {
      request: { headers: { authorization: 'Bearer abcdef' }, body: 'client_secret=known-secret-value' },
      error: new Error('401 for Bearer zyx987'),
    });
    const line = lines[0]!;
    for (const secret of ['known-secret-value', 'abcdef', 'zyx987']) assert.ok(!line.includes(secret), line);
    const entry = JSON.parse(line) as { error: { message: string } };
    assert.equal(entry.error.message, '401 for Bearer [REDACTED]');
  });

  it('context keys cannot overwrite time, level or message', () => {
    const { logger, lines } = captureLogger();
    logger.warn('real message', { message: 'forged', level: 'debug' });
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(entry.message, 'real message');
    assert.equal(entry.level, 'warn');
  });

  it('drops entries below the configured level', () => {
    const { logger, lines } = captureLogger('WARN');
    logger.info('not shown');
    logger.warn('shown');
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { message: string }).message),
      ['shown'],
    );
  });

  it('reads LOG_LEVEL case-insensitively and refuses unknown levels by name', () => {
    assert.equal(parseLogLevel('debug'), 'DEBUG');
    assert.equal(parseLogLevel(undefined), 'INFO');
    assert.throws(() => parseLogLevel('loud'), /LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR/);
  });
});

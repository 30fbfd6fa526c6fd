/**
 * The worker's logger: one JSON object per line (time, level, message, then the context the Temporal SDK
 * attaches — workflowId, runId, workflowType, activityType, taskQueue, attempt…), every line redacted.
 * Log shippers (Loki, CloudWatch, Datadog) read this without any parsing rules.
 */
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { SecretRedactor } from './secret-redaction';

export const logLevels: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface JsonLoggerOptions {
  level?: LogLevel;
  redactor: SecretRedactor;
  /** Where each line goes; stderr by default, so stdout stays free for a program's own output. */
  writeLine?: (line: string) => void;
}

export function createJsonLogger(options: JsonLoggerOptions): DefaultLogger {
  const writeLine = options.writeLine ?? ((line: string) => process.stderr.write(line + '\n'));
  return new DefaultLogger(options.level ?? 'INFO', (entry) => writeLine(formatLogLine(entry, options.redactor)));
}

/** Context keys come after time/level/message and can never overwrite them. */
export function formatLogLine(entry: LogEntry, redactor: SecretRedactor): string {
  const context = (redactor.redact(entry.meta ?? {}) ?? {}) as Record<string, unknown>;
  const { time: _time, level: _level, message: _message, ...rest } = context;
  return JSON.stringify({
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level.toLowerCase(),
    message: redactor.redactText(entry.message),
    ...rest,
  });
}

export function parseLogLevel(text: string | undefined, fallback: LogLevel = 'INFO'): LogLevel {
  if (!text) return fallback;
  const upper = text.trim().toUpperCase();
  const level = logLevels.find((candidate) => candidate === upper || (upper === 'WARNING' && candidate === 'WARN'));
  if (!level) throw new Error(`LOG_LEVEL must be one of ${logLevels.join(', ')} (got "${text}")`);
  return level;
}

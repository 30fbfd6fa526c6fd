/**
 * Installs the Temporal runtime for this process: Prometheus metrics from the SDK's core (when a port is given)
 * and one structured, redacted JSON logger for everything — our own lines, the SDK's TypeScript side, workflow
 * and activity `log` calls (which carry workflowId, runId, activityType, taskQueue…) and the forwarded core logs.
 *
 * Must run before the first NativeConnection or Worker is created: the runtime is a per-process singleton and
 * the first of those would otherwise install a default one.
 */
import { makeTelemetryFilterString, Runtime, type LogLevel, type Logger } from '@temporalio/worker';
import { createJsonLogger, parseLogLevel } from './json-logger';
import { createSecretRedactor, type SecretRedactor } from './secret-redaction';

export interface TemporalRuntimeOptions {
  /** Prometheus scrape port; default METRICS_PORT. No port, no metrics endpoint. */
  metricsPort?: number;
  /** Interface the metrics endpoint binds; default METRICS_BIND, else 127.0.0.1 (set 0.0.0.0 in containers). */
  metricsBind?: string;
  /** Default LOG_LEVEL, else INFO. */
  logLevel?: string;
  /** Where log lines go (tests capture them); stderr by default. */
  writeLine?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface InstalledTemporalRuntime {
  runtime: Runtime;
  logger: Logger;
  redactor: SecretRedactor;
  /** e.g. http://127.0.0.1:9464/metrics, when metrics are on. */
  metricsUrl?: string;
}

let installed: InstalledTemporalRuntime | undefined;

/** Idempotent within a process: later calls return the first installation unchanged. */
export function installTemporalRuntime(options: TemporalRuntimeOptions = {}): InstalledTemporalRuntime {
  if (installed) return installed;
  const env = options.env ?? process.env;
  if (Runtime._instance) {
    throw new Error(
      'The Temporal runtime was already created (a NativeConnection or Worker was made first); ' +
        'call installTemporalRuntime() at the very start of the process.',
    );
  }

  const level = parseLogLevel(options.logLevel ?? env.LOG_LEVEL);
  const redactor = createSecretRedactor({ knownSecrets: secretValuesInEnvironment(env) });
  const logger = createJsonLogger({ level, redactor, writeLine: options.writeLine });
  const metricsPort = options.metricsPort ?? parseMetricsPort(env.METRICS_PORT);
  const metricsBind = options.metricsBind ?? (env.METRICS_BIND?.trim() || '127.0.0.1');

  const runtime = Runtime.install({
    logger,
    telemetryOptions: {
      // Core's own logs go through the same JSON logger; it is chatty below WARN unless asked for detail.
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: coreLevelFor(level), other: 'ERROR' }) },
      ...(metricsPort !== undefined && {
        metrics: { prometheus: { bindAddress: `${metricsBind}:${metricsPort}` } },
      }),
    },
  });

  const metricsUrl =
    metricsPort === undefined ? undefined : `http://${displayHost(metricsBind)}:${metricsPort}/metrics`;
  installed = { runtime, logger, redactor, metricsUrl };
  return installed;
}

export function parseMetricsPort(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`METRICS_PORT must be a port number between 1 and 65535 (got "${text}")`);
  }
  return port;
}

/**
 * Values of environment variables named like credentials: whatever path one of them takes into a message,
 * the logger scrubs it.
 */
function secretValuesInEnvironment(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name]) => /SECRET|TOKEN|PASSWORD|API_KEY|SECRETS_KEY|PRIVATE_KEY/i.test(name))
    .map(([, value]) => value)
    .filter((value): value is string => typeof value === 'string' && value.length > 0);
}

/** Core's debug output is about its own internals; only TRACE asks for it. */
function coreLevelFor(level: LogLevel): LogLevel {
  return level === 'TRACE' ? 'DEBUG' : 'WARN';
}

function displayHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::') return '127.0.0.1';
  return bind.includes(':') ? `[${bind}]` : bind;
}

/**
 * `npm run simulator -- --port P [--host H] [--time-scale N] [--state-file F] [--tenant-id T] [--onetrust-subjects N]
 *   [--run-failure-share S] [--run-retention-hours H] [--rate-limit N] [--latency-ms N] [--log-requests]`
 * Credentials come from the environment only (SIMULATOR_CLIENT_ID, SIMULATOR_CLIENT_SECRET, SIMULATOR_ORG_ID),
 * never from arguments, which other users of the machine can read.
 */
// First: on an unsupported Node.js, say so before anything else can fail.
import '../runtime/require-supported-node';
import { Command, InvalidArgumentError } from 'commander';
import { simulatorDefaults } from './defaults';
import { largestLatencyMs } from './latency';
import { largestRequestsPerSecond } from './rate-limit';
import { startSimulator } from './server';

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a positive number');
  return number;
}

function port(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65_535)
    throw new InvalidArgumentError('expected a port number');
  return number;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

function integerFrom(smallest: number, largest: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isInteger(number) || number < smallest || number > largest) {
      throw new InvalidArgumentError(`expected an integer from ${smallest} to ${largest}`);
    }
    return number;
  };
}

function share(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1) {
    throw new InvalidArgumentError('expected a number from 0 to 1');
  }
  return number;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('simulator')
    .description('Local simulator of Adobe Experience Platform, Adobe IMS and OneTrust.')
    .option('--port <port>', 'port to listen on (0 picks a free one)', port, simulatorDefaults.port)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--time-scale <factor>',
      'simulated schedule time runs this many times faster',
      positiveNumber,
      simulatorDefaults.timeScale,
    )
    .option('--state-file <file>', 'keep state in this JSON file across restarts')
    .option('--tenant-id <tenant>', 'Schema Registry tenant id (without the underscore)', simulatorDefaults.tenantId)
    .option(
      '--onetrust-subjects <count>',
      'number of OneTrust data subjects',
      positiveInteger,
      simulatorDefaults.oneTrustSubjects,
    )
    .option(
      '--run-failure-share <share>',
      'share of runs (0 to 1, drawn per run) that fail with a platform error',
      share,
      0,
    )
    .option(
      '--run-retention-hours <hours>',
      'forget runs and the records they wrote this long after they started',
      positiveNumber,
    )
    .option(
      '--rate-limit <requests>',
      'at most this many AEP calls per organization in any second; more are answered 429',
      integerFrom(1, largestRequestsPerSecond),
    )
    .option(
      '--latency-ms <ms>',
      'answer every AEP, IMS and OneTrust call this many ms late',
      integerFrom(0, largestLatencyMs),
      0,
    )
    .option('--log-requests', 'print one line per request (method, path, status)', false)
    .parse();
  const options = program.opts<{
    port: number;
    host: string;
    timeScale: number;
    stateFile?: string;
    tenantId: string;
    onetrustSubjects: number;
    runFailureShare: number;
    runRetentionHours?: number;
    rateLimit?: number;
    latencyMs: number;
    logRequests: boolean;
  }>();

  const simulator = await startSimulator({
    port: options.port,
    host: options.host,
    timeScale: options.timeScale,
    stateFile: options.stateFile,
    tenantId: options.tenantId,
    oneTrustSubjects: options.onetrustSubjects,
    logRequests: options.logRequests,
    runFailureShare: options.runFailureShare,
    runRetentionHours: options.runRetentionHours,
    rateLimit: options.rateLimit,
    latencyMs: options.latencyMs,
    clientId: process.env.SIMULATOR_CLIENT_ID || simulatorDefaults.clientId,
    clientSecret: process.env.SIMULATOR_CLIENT_SECRET || simulatorDefaults.clientSecret,
    orgId: process.env.SIMULATOR_ORG_ID || simulatorDefaults.orgId,
  });
  console.log(`Platform simulator listening on ${simulator.url}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`simulator: failed to stop cleanly after ${signal}:`, error);
        process.exit(1);
      },
    );
  };
  // Every way a terminal or a supervisor (the demo sends SIGTERM) asks it to stop saves the state first.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
}

main().catch((error: unknown) => {
  console.error('simulator: could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});

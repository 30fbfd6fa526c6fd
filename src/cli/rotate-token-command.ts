/**
 * `rotate-token <sandbox/name> [--expires-at ISO] [--token-file F] [--json]`: puts a new OneTrust token on the
 * dataflow's base connection and waits until an explore preview has proven it. The token is read from the file
 * or from standard input (never from argv), sealed here, and only the sealed form travels to the monitor.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readJwtExpiry } from '../onetrust';
import { rotateTokenUpdate } from '../contracts/monitor-messages';
import type { RotateTokenRequest } from '../contracts/monitor-state';
import { loadCliSecretSealer } from './cli-secret-sealer';
import { exitCodes, processIo } from '../runtime/command-io';
import { readHiddenLine } from './hidden-terminal-input';
import { connectTemporal } from '../temporal/temporal-client';
import {
  describeOutcome,
  InputError,
  messageOf,
  readAllStdin,
  Reporter,
  withMonitor,
  type MonitorCommandDependencies,
} from './monitor-session';

/** Where a new token comes from: the help and the terminal prompt say it, as the README does. */
export const whereTokensComeFrom = `Where a new OneTrust token comes from: OneTrust's token endpoint, with a client credential that has the
consent scopes (its token lifetime is at most a year; the secret is read from a file, not typed on the line):
  curl -s https://app.onetrust.com/api/access/v1/oauth/token -d grant_type=client_credentials \\
    -d client_id=<client id> --data-urlencode client_secret@client-secret.txt | jq -r .access_token > new-token.txt
In the demo, the simulator's token endpoint (its built-in credential; tokens of a year):
  curl -s http://127.0.0.1:8090/api/access/v1/oauth/token -d grant_type=client_credentials \\
    -d client_id=simulator-onetrust-client -d client_secret=simulator-onetrust-secret | jq -r .access_token > new-token.txt`;

/** A token that dies within a week will need rotating again almost at once: say so. */
const shortTokenLifetimeMs = 7 * 24 * 3_600_000;

export interface RotateTokenOptions {
  expiresAt?: string;
  tokenFile?: string;
  json: boolean;
}

export function registerRotateTokenCommand(program: Command): void {
  program
    .command('rotate-token')
    .description('replace the OneTrust access token of a dataflow (read from --token-file or standard input)')
    .argument('<sandbox/name>', 'the dataflow, e.g. prod/consent-daily')
    .option('--expires-at <ISO>', "the token's expiry; needed when the token is not a JWT with an exp claim")
    .option('--token-file <file>', 'read the token from this file instead of standard input')
    .option('--json', 'print one JSON object instead of text')
    .addHelpText('after', `\n${whereTokensComeFrom}`)
    .action(async (target: string, options: { expiresAt?: string; tokenFile?: string; json?: boolean }) => {
      const stdinIsTerminal = process.stdin.isTTY === true;
      process.exitCode = await runRotateToken(
        target,
        {
          ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
          ...(options.tokenFile !== undefined ? { tokenFile: options.tokenFile } : {}),
          json: options.json ?? false,
        },
        {
          io: processIo,
          connect: connectTemporal,
          readStdin: stdinIsTerminal ? () => readHiddenLine(process.stdin) : readAllStdin,
          stdinIsTerminal,
        },
      );
    });
}

export async function runRotateToken(
  target: string,
  options: RotateTokenOptions,
  deps: MonitorCommandDependencies,
): Promise<number> {
  const reporter = new Reporter(deps.io, options.json);
  // Read, checked and sealed before Temporal is contacted; from here on only the sealed form exists.
  let request: RotateTokenRequest & { expiresAt: string };
  try {
    const token = await readToken(options, deps);
    const expiresAt = tokenExpiry(token, options.expiresAt);
    request = { token: loadCliSecretSealer(deps.io).seal(token), expiresAt };
  } catch (error) {
    return reporter.fail(exitCodes.invalidInput, 'invalid-input', messageOf(error));
  }
  const lifetimeMs = Date.parse(request.expiresAt) - Date.now();
  if (lifetimeMs < shortTokenLifetimeMs) {
    reporter.warn(
      `this token expires in ${describeLifetime(lifetimeMs)}, at ${request.expiresAt}: ` +
        'mint one with a longer lifetime in OneTrust (up to a year), or give the spec client credentials',
    );
  }
  return withMonitor(target, reporter, deps, async (monitor) => {
    const outcome = await monitor.update(rotateTokenUpdate, request);
    return reporter.succeed({ outcome }, describeOutcome(outcome));
  });
}

async function readToken(options: RotateTokenOptions, deps: MonitorCommandDependencies): Promise<string> {
  let text: string;
  if (options.tokenFile !== undefined) {
    try {
      text = readFileSync(options.tokenFile, 'utf8');
    } catch (error) {
      throw new InputError(
        `--token-file ${options.tokenFile}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  } else if (deps.readStdin) {
    // Otherwise a terminal would just sit there, with nothing saying it waits for a token.
    if (deps.stdinIsTerminal) {
      deps.io.err(`${whereTokensComeFrom}\n\nPaste the token, then press Ctrl-D (or use --token-file):`);
    }
    text = await deps.readStdin();
  } else {
    throw new InputError('no token: give --token-file, or pipe the token into standard input');
  }
  const token = text.trim();
  if (token === '') {
    throw new InputError(
      options.tokenFile !== undefined ? `--token-file ${options.tokenFile} is empty` : 'no token on standard input',
    );
  }
  if (/\s/.test(token)) throw new InputError('the token contains whitespace: the input must hold the token alone');
  return token;
}

/** The expiry to record: --expires-at, else the JWT's exp; the earlier of the two when both are known. */
function tokenExpiry(token: string, expiresAtOption: string | undefined): string {
  const claimed = readJwtExpiry(token)?.getTime();
  let given: number | undefined;
  if (expiresAtOption !== undefined) {
    given = Date.parse(expiresAtOption);
    if (Number.isNaN(given) || !/^\d{4}-\d{2}-\d{2}T/.test(expiresAtOption)) {
      throw new InputError(`--expires-at ${expiresAtOption}: must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z`);
    }
  }
  if (given !== undefined && claimed !== undefined && given > claimed + 60_000) {
    // The token dies at its own exp: a later --expires-at would only silence the warnings.
    throw new InputError(
      `--expires-at ${expiresAtOption}: later than the token's own expiry (${new Date(claimed).toISOString()}, ` +
        'its "exp" claim): leave --expires-at out, or give one no later than that',
    );
  }
  const expiresAtMs = given === undefined ? claimed : claimed === undefined ? given : Math.min(given, claimed);
  if (expiresAtMs === undefined) {
    throw new InputError('the token is not a JWT with an "exp" claim: give its expiry with --expires-at');
  }
  if (expiresAtMs <= Date.now()) {
    throw new InputError(`the token expired at ${new Date(expiresAtMs).toISOString()}: mint a fresh one`);
  }
  return new Date(expiresAtMs).toISOString();
}

/** "9 minutes", "1 minute", "5 hours": the unit a person would say (a 10-minute token is not "1 hour(s)"). */
export function describeLifetime(milliseconds: number): string {
  const minutes = Math.max(1, Math.round(milliseconds / 60_000));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hours`;
  return `${Math.round(hours / 24)} days`;
}

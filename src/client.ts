/**
 * The CLI users run: `npm run client -- <verb> …`. Each verb lives in src/cli/<verb>-command.ts and is
 * registered here with one line.
 */
// First: on an unsupported Node.js, say so before anything else can fail.
import './runtime/require-supported-node';
import { Command, CommanderError } from 'commander';
import { exitCodes } from './runtime/command-io';
import { registerProvisionCommand } from './cli/provision-command';
import { registerStatusCommand } from './cli/status-command';
import { registerListCommand } from './cli/list-command';
import { registerRotateTokenCommand } from './cli/rotate-token-command';
import { registerUpdateCommand } from './cli/update-command';
import { registerPauseAndResumeCommands } from './cli/pause-resume-commands';
import { registerTeardownCommand } from './cli/teardown-command';
import { registerPlanCommand } from './cli/plan-command';

export function buildProgram(): Command {
  const program = new Command()
    .name('client')
    .description('Provision and operate OneTrust → Adobe Experience Platform dataflows on Temporal')
    .showHelpAfterError()
    // Usage errors (unknown verb or option, missing argument) then exit with the documented code 2, not 1.
    .exitOverride()
    .addHelpText('after', generalHelp);
  registerProvisionCommand(program);
  registerPlanCommand(program);
  registerStatusCommand(program);
  registerListCommand(program);
  registerRotateTokenCommand(program);
  registerUpdateCommand(program);
  registerPauseAndResumeCommands(program);
  registerTeardownCommand(program);
  return program;
}

const generalHelp = `
Exit codes: 0 done, 1 the workflow failed (step, HTTP status and AEP error are printed; with several specs: any),
            2 bad input (spec, flags, unknown dataflow; nothing started), 3 Temporal unreachable or unexpected error,
            130 Ctrl-C while provision followed several dataflows (their workflows keep running).

Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and the other
  TEMPORAL_* settings, TEMPORAL_UI_URL (for links), TASK_QUEUE, DATAFLOW_SECRETS_PUBLIC_KEY_FILE (the worker's
  public key, from npm run secrets -- public-key; or the legacy shared DATAFLOW_SECRETS_KEY_FILE).

Examples:
  npm run client -- provision examples/dataflow.example.json
  npm run client -- provision specs/            # every specs/*.json, followed together
  npm run client -- status prod/consent-demo
  npm run client -- rotate-token prod/consent-demo --token-file new-token.txt
`;

if (require.main === module) {
  // `npm run client` runs in the project folder; file arguments are meant relative to where the user typed it.
  if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  endQuietlyWhenTheReaderGoes();
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      if (error instanceof CommanderError) {
        // Commander has printed the message (and the help); --help and --version end with exit code 0.
        process.exitCode = error.exitCode === 0 ? exitCodes.ok : exitCodes.invalidInput;
        return;
      }
      console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = exitCodes.unavailable;
    });
}

/**
 * `provision … | head`: once the reader has closed the pipe there is nobody to tell anything, so the CLI ends
 * quietly (the workflows it started keep running) instead of dying with an EPIPE stack trace.
 */
function endQuietlyWhenTheReaderGoes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(process.exitCode ?? exitCodes.ok);
    });
  }
}

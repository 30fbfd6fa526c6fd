/**
 * The CLI users run: `npm run client -- <verb> …`. Each verb lives in src/cli/<verb>-command.ts and is
 * registered here with one line.
 */
import { Command } from 'commander';
import { registerProvisionCommand } from './cli/provision-command';
import { registerStatusCommand } from './cli/status-command';
import { registerListCommand } from './cli/list-command';
import { registerRotateTokenCommand } from './cli/rotate-token-command';
import { registerUpdateCommand } from './cli/update-command';
import { registerPauseCommand } from './cli/pause-command';
import { registerResumeCommand } from './cli/resume-command';
import { registerTeardownCommand } from './cli/teardown-command';

export function buildProgram(): Command {
  const program = new Command()
    .name('client')
    .description('Provision and operate OneTrust → Adobe Experience Platform dataflows on Temporal')
    .showHelpAfterError();
  registerProvisionCommand(program);
  registerStatusCommand(program);
  registerListCommand(program);
  registerRotateTokenCommand(program);
  registerUpdateCommand(program);
  registerPauseCommand(program);
  registerResumeCommand(program);
  registerTeardownCommand(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 3;
    });
}

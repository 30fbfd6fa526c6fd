/** Where a command writes and what it reads, injected so tests can run commands in-process and read the output. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  env: process.env,
};

/** Exit codes every verb uses. */
export const exitCodes = {
  ok: 0,
  /** The workflow ran and failed (e.g. AEP refused a step). */
  failed: 1,
  /** Bad input: the spec or the arguments; nothing was started. */
  invalidInput: 2,
  /** Could not talk to Temporal, or another unexpected error. */
  unavailable: 3,
  /** Ctrl-C while following several dataflows: the workflows keep running (128 + SIGINT, as a shell reports it). */
  interrupted: 130,
} as const;

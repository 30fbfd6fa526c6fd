/**
 * `update <sandbox/name> [--name N] [--description D] [--frequency F --interval N] [--mapping mapping.json]`:
 * changes a live dataflow the way the seed's "update your dataflow" does, checked as the spec is checked
 * before anything is sent, and waits for AEP to have taken the change.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { destinationProblem } from '../contracts/target-schema';
import type { MappingRule, ScheduleFrequency } from '../contracts/dataflow-types';
import { updateDataflowUpdate } from '../contracts/monitor-messages';
import { updateDataflowProblem } from '../contracts/request-validation';
import type { UpdateDataflowRequest } from '../contracts/monitor-state';
import { exitCodes, processIo } from '../runtime/command-io';
import { connectTemporal } from '../temporal/temporal-client';
import {
  describeOutcome,
  InputError,
  messageOf,
  Reporter,
  withMonitor,
  type MonitorCommandDependencies,
} from './monitor-session';

export interface UpdateOptions {
  name?: string;
  description?: string;
  frequency?: string;
  interval?: string;
  mapping?: string;
  json: boolean;
}

export function registerUpdateCommand(program: Command): void {
  program
    .command('update')
    .description("change a dataflow's name, description, schedule or mapping")
    .argument('<sandbox/name>', 'the dataflow, e.g. prod/consent-daily')
    .option('--name <name>', "the flow's new display name in AEP")
    .option('--description <text>', "the flow's new description")
    .option('--frequency <frequency>', 'new schedule: once, minute, hour, day or week (with --interval)')
    .option('--interval <n>', 'new schedule: every n units of --frequency (at least 15)')
    .option('--mapping <mapping.json>', 'a new mapping: a JSON list of rules {sourceType, source, destination}')
    .option('--json', 'print one JSON object instead of text')
    .action(async (target: string, options: Omit<UpdateOptions, 'json'> & { json?: boolean }) => {
      process.exitCode = await runUpdate(
        target,
        { ...options, json: options.json ?? false },
        { io: processIo, connect: connectTemporal },
      );
    });
}

export async function runUpdate(
  target: string,
  options: UpdateOptions,
  deps: MonitorCommandDependencies,
): Promise<number> {
  const reporter = new Reporter(deps.io, options.json);
  // Checked before Temporal is even contacted: a bad change never leaves this process.
  let request: UpdateDataflowRequest;
  try {
    request = updateRequestFrom(options);
  } catch (error) {
    return reporter.fail(exitCodes.invalidInput, 'invalid-input', messageOf(error));
  }
  return withMonitor(target, reporter, deps, async (monitor) => {
    const outcome = await monitor.update(updateDataflowUpdate, request);
    return reporter.succeed({ outcome }, describeOutcome(outcome));
  });
}

/** Builds the request from the options and refuses it, naming the option, if the spec rules would. */
export function updateRequestFrom(options: Omit<UpdateOptions, 'json'>): UpdateDataflowRequest {
  const request: UpdateDataflowRequest = {};
  if (options.name !== undefined) request.name = options.name;
  if (options.description !== undefined) request.description = options.description;
  if (options.frequency !== undefined || options.interval !== undefined) {
    if (options.frequency === undefined)
      throw new InputError('--interval needs --frequency (e.g. --frequency minute --interval 15)');
    const interval = options.interval === undefined ? undefined : Number(options.interval);
    if (options.interval !== undefined && !/^\d+$/.test(options.interval)) {
      throw new InputError(`--interval ${options.interval}: must be a whole number`);
    }
    request.schedule = {
      frequency: options.frequency as ScheduleFrequency,
      ...(interval !== undefined ? { interval } : {}),
    };
  }
  if (options.mapping !== undefined) request.mapping = readMappingFile(options.mapping);

  const problem = updateDataflowProblem(request);
  if (problem) throw new InputError(inOptionTerms(problem));
  return request;
}

/** The shared validator names request fields; the user typed options. */
function inOptionTerms(problem: string): string {
  if (problem.startsWith('nothing to change')) {
    return 'nothing to change: give --name, --description, --frequency/--interval or --mapping';
  }
  return problem
    .replace(/^schedule\.(frequency|interval)/, '--$1')
    .replace(/^(name|description)/, '--$1')
    .replace(/^mapping/, '--mapping: mapping');
}

/** A mapping file holds a list of rules, or `{ "mappings": [...] }`; sourceType defaults to ATTRIBUTE as in the spec. */
function readMappingFile(path: string): MappingRule[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InputError(`--mapping ${path}: cannot read it as JSON (${reason})`);
  }
  const list: unknown[] | undefined = Array.isArray(value)
    ? (value as unknown[])
    : typeof value === 'object' && value !== null && Array.isArray((value as { mappings?: unknown }).mappings)
      ? (value as { mappings: unknown[] }).mappings
      : undefined;
  if (!list) throw new InputError(`--mapping ${path}: must hold a list of mapping rules (or {"mappings": [...]})`);
  const rules = list.map((rule: unknown) =>
    typeof rule === 'object' && rule !== null && !('sourceType' in rule) ? { sourceType: 'ATTRIBUTE', ...rule } : rule,
  ) as MappingRule[];
  rules.forEach((rule, index) => {
    const problem = typeof rule?.destination === 'string' ? destinationProblem(rule.destination) : undefined;
    if (problem) throw new InputError(`--mapping ${path}: mapping[${index}].destination: ${problem}`);
  });
  return rules;
}

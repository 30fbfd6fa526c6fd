/**
 * Signal, update and query definitions as plain objects: the same `{ type, name }` that `defineSignal`,
 * `defineUpdate` and `defineQuery` from @temporalio/workflow return, built here so the CLI, the events receiver
 * and activities can name a workflow's messages without loading the workflow SDK. Workflows pass these to
 * `setHandler` as before.
 */
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';

export function signal<Args extends unknown[] = [], Name extends string = string>(
  name: Name,
): SignalDefinition<Args, Name> {
  return { type: 'signal', name } as SignalDefinition<Args, Name>;
}

export function update<Ret, Args extends unknown[] = [], Name extends string = string>(
  name: Name,
): UpdateDefinition<Ret, Args, Name> {
  return { type: 'update', name } as UpdateDefinition<Ret, Args, Name>;
}

export function query<Ret, Args extends unknown[] = [], Name extends string = string>(
  name: Name,
): QueryDefinition<Ret, Args, Name> {
  return { type: 'query', name } as QueryDefinition<Ret, Args, Name>;
}

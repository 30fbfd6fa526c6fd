/** What every provisioning activity is told about the dataflow it works on; names are derived from it. */
import { dataflowResourceNames, type DataflowResourceNames } from '../dataflow/resource-names';

export interface DataflowRef {
  sandbox: string;
  name: string;
  schemaTitle: string;
  datasetName: string;
}

export function namesOf(dataflow: DataflowRef): DataflowResourceNames {
  return dataflowResourceNames(dataflow);
}

/** The first item of an async iterable (the list APIs page lazily, so this stops after one page). */
export async function firstOf<T>(
  items: AsyncIterable<T>,
  matches: (item: T) => boolean = () => true,
): Promise<T | undefined> {
  for await (const item of items) if (matches(item)) return item;
  return undefined;
}

/** Every item, for deletes that must also remove duplicates an earlier run may have made. */
export async function allOf<T>(items: AsyncIterable<T>, matches: (item: T) => boolean = () => true): Promise<T[]> {
  const found: T[] = [];
  for await (const item of items) if (matches(item)) found.push(item);
  return found;
}

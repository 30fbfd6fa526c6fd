/**
 * The spec the demo provisions is the repository's example, unchanged: it reads its OneTrust token from
 * ONETRUST_ACCESS_TOKEN, which the demo sets (for the CLI process only) from the token the simulator minted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ExampleSpec {
  path: string;
  sandbox: string;
  name: string;
  /** The environment variable the spec names for its token (ONETRUST_ACCESS_TOKEN in the example). */
  tokenVariable?: string;
}

export function readExampleSpec(projectRoot: string): ExampleSpec {
  const path = join(projectRoot, 'examples', 'dataflow.example.json');
  const spec = JSON.parse(readFileSync(path, 'utf8')) as {
    sandbox: string;
    name: string;
    onetrust?: { accessToken?: { env?: string } };
  };
  return { path, sandbox: spec.sandbox, name: spec.name, tokenVariable: spec.onetrust?.accessToken?.env };
}

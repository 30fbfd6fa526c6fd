/**
 * The spec the demo provisions: examples/dataflow.example.json, pointed at the simulator. The example is what a
 * user copies for real AEP, so the demo leaves it untouched and writes data/demo-dataflow.json with the two
 * demo-only differences: OneTrust's base URL is the simulator, and the token is the one just minted there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoContext } from './demo-context';
import type { DemoSimulator } from './simulator';

export interface DemoSpec {
  path: string;
  sandbox: string;
  name: string;
}

interface ExampleSpec {
  name: string;
  sandbox: string;
  onetrust?: Record<string, unknown>;
  [field: string]: unknown;
}

export function prepareDemoSpec(
  context: DemoContext,
  inputs: { simulator: DemoSimulator; tokenFile: string },
): DemoSpec {
  const examplePath = join(context.projectRoot, 'examples', 'dataflow.example.json');
  const example = JSON.parse(readFileSync(examplePath, 'utf8')) as ExampleSpec;
  const demoSpec: ExampleSpec = {
    ...example,
    onetrust: {
      ...example.onetrust,
      baseUrl: inputs.simulator.baseUrl,
      // The spec names the file; the CLI reads it. The token itself never appears in a spec or an argument.
      accessToken: { file: inputs.tokenFile },
    },
  };
  const path = join(context.dataDirectory, 'demo-dataflow.json');
  writeFileSync(path, JSON.stringify(demoSpec, null, 2) + '\n');
  return { path, sandbox: example.sandbox, name: example.name };
}

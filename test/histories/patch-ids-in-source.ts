/**
 * Every patch id the workflow code uses, read from its source: each call of @temporalio/workflow's `patched` or
 * `deprecatePatch` under src/workflows/, with its argument resolved by the TypeScript checker (a constant declared
 * anywhere, imported or not, counts by its literal value). Nothing to keep in step by hand.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const projectRoot = join(__dirname, '..', '..');
const workflowsDirectory = join(projectRoot, 'src', 'workflows');
const patchFunctions = new Set(['patched', 'deprecatePatch']);

export interface PatchCall {
  id: string;
  /** `src/workflows/…:line` */
  at: string;
  call: 'patched' | 'deprecatePatch';
}

function typeScriptFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function compilerOptions(): ts.CompilerOptions {
  const configFile = join(projectRoot, 'tsconfig.json');
  const read = ts.readConfigFile(configFile, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(read.config as object, ts.sys, projectRoot).options;
}

/** The SDK function a call's callee names (through imports and `wf.` namespaces), if it is one of ours. */
function patchFunctionCalled(checker: ts.TypeChecker, callee: ts.Expression): PatchCall['call'] | undefined {
  let symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(callee) ? callee.name : callee);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  if (!symbol || !patchFunctions.has(symbol.name)) return undefined;
  const fromSdk = symbol.declarations?.some((declaration) =>
    /[\\/]@temporalio[\\/]workflow[\\/]/.test(declaration.getSourceFile().fileName),
  );
  return fromSdk ? (symbol.name as PatchCall['call']) : undefined;
}

export function patchCallsInWorkflowSource(): PatchCall[] {
  const files = typeScriptFiles(workflowsDirectory);
  const program = ts.createProgram(files, { ...compilerOptions(), noEmit: true });
  const checker = program.getTypeChecker();
  const calls: PatchCall[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`${file} is not in the program`);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const call = patchFunctionCalled(checker, node.expression);
        if (call) {
          const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          const at = `${relative(projectRoot, file)}:${line}`;
          const [argument] = node.arguments;
          const type = argument ? checker.getTypeAtLocation(argument) : undefined;
          if (!type?.isStringLiteral()) {
            throw new Error(`${at}: ${call}(${argument?.getText() ?? ''}) is not given a constant string patch id`);
          }
          calls.push({ id: type.value, at, call });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return calls;
}
